"""The base every contract model shares, and the one rule many of them apply."""

from collections.abc import Collection, Hashable
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError


class Contract(BaseModel):
    """Frozen, allow-listed message model.

    `extra="forbid"` is data minimisation: unknown fields are rejected, never dropped silently.
    `hide_input_in_errors` keeps identity codes and free text out of `str(ValidationError)`,
    which tends to end up in logs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


def with_examples(*examples: dict[str, Any]) -> ConfigDict:
    """A model's configuration that shows `examples` in its JSON schema (and so in OpenAPI)."""
    return ConfigDict(json_schema_extra={"examples": list(examples)})


def check_no_repeats(values: Collection[Hashable], rule: str, message: str) -> None:
    """Raise `rule` if a list of codes names one twice: a repeat is a sender's mistake."""
    if len(set(values)) != len(values):
        raise PydanticCustomError(rule, message)


def no_repeats(field: str, rule: str, message: str) -> Any:
    """A model's `field` validator that refuses a list naming one code twice (`rule`)."""

    def check(values: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
        check_no_repeats(values, rule, message)
        return values

    return field_validator(field)(check)
