"""Bounded free text that cannot carry a personal identity code."""

from typing import Annotated, Final

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from silta_schemas.identity import contains_identity_code

SHORT_TEXT_MAX: Final = 200
FREE_TEXT_MAX: Final = 2000


def reject_identity_code(value: str) -> str:
    """Data minimisation: an identity code belongs in its own field, never in prose."""
    if contains_identity_code(value):
        raise PydanticCustomError(
            "free_text.identity_code",
            "free text must not contain a personal identity code: the client's belongs in "
            "client.identity_code, another person's never",
        )
    return value


ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_TEXT_MAX),
    AfterValidator(reject_identity_code),
]
"""A name, title or one-line note: stripped, 1-200 characters, no identity code."""

FreeText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=FREE_TEXT_MAX),
    AfterValidator(reject_identity_code),
]
"""A description: stripped, 1-2000 characters, no identity code."""
