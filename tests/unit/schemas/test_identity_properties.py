"""Property tests: the validator agrees with the rule for any date, sign and number."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError
from silta_schemas.identity import (
    birth_date,
    check_identity_code,
    contains_identity_code,
    redact_identity_codes,
)

from .support import identity_codes

CONTROL = "0123456789ABCDEFHJKLMNPRSTUVWXY"


@given(identity_codes())
def test_any_well_formed_code_validates(code: str) -> None:
    assert check_identity_code(code) == code
    assert birth_date(code).strftime("%d%m%y") == code[:6]


@given(identity_codes(), st.sampled_from(CONTROL + "GIOQZ"))
def test_any_other_control_character_fails(code: str, char: str) -> None:
    if char == code[-1]:
        return
    with pytest.raises(PydanticCustomError) as caught:
        check_identity_code(code[:-1] + char)
    assert caught.value.type == "identity_code.control_character"


@given(st.lists(st.tuples(st.text(max_size=20), identity_codes()), min_size=1, max_size=5))
def test_redaction_removes_every_valid_code(parts: list[tuple[str, str]]) -> None:
    text = "".join(filler + code for filler, code in parts)
    assert contains_identity_code(text)
    redacted = redact_identity_codes(text)
    assert not contains_identity_code(redacted)
    for _, code in parts:
        assert code not in redacted
