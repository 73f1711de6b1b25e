"""Test helpers: shared constants, an independent identity-code builder and error assertions."""

import copy
import json
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from silta_schemas.envelope import Envelope, MessageRejected, open_message, seal
from silta_schemas.examples import EXAMPLE_IDENTITY_CODE

Body = dict[str, Any]
"""A message or request body as JSON data, to mutate in a test."""
REFERRAL = UUID("0b6e5f8a-3f43-4c55-9b51-6f1d2a7c9e10")
OTHER_CODE = "010594Y9032"
"""A valid identity code other than the example's."""

_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
SIGNS_BY_CENTURY = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}


def make_code(born: date, sign: str, number: int) -> str:
    """Build a valid identity code the way DVV describes it (independent of the package)."""
    digits = f"{born:%d%m}{born.year % 100:02d}{number:03d}"
    return f"{digits[:6]}{sign}{digits[6:]}{_CHARS[int(digits) % 31]}"


@st.composite
def identity_codes(draw: st.DrawFn, max_number: int = 999) -> str:
    """Any valid identity code (individual numbers from 2 to ``max_number``)."""
    century = draw(st.sampled_from(sorted(SIGNS_BY_CENTURY)))
    born = draw(st.dates(date(century, 1, 1), date(century + 99, 12, 31)))
    sign = draw(st.sampled_from(SIGNS_BY_CENTURY[century]))
    return make_code(born, sign, draw(st.integers(2, max_number)))


def errors(exc: ValidationError) -> list[tuple[tuple[int | str, ...], str]]:
    """(loc, type) of every error."""
    return [(tuple(e["loc"]), e["type"]) for e in exc.errors()]


def assert_rule(
    model: type[BaseModel], data: dict[str, Any], rule: str, loc: tuple[int | str, ...] = ()
) -> ValidationError:
    """Validation fails with `rule` at `loc`, and no error text leaks an identity code."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    assert (loc, rule) in errors(caught.value), errors(caught.value)
    assert_no_identity_code(str(caught.value))
    for error in caught.value.errors(include_input=False):
        assert_no_identity_code(error["msg"])
    return caught.value


def assert_no_identity_code(text: str, *codes: str) -> None:
    """Neither the example code, nor `codes`, nor even their birth-date part is in `text`."""
    for code in (EXAMPLE_IDENTITY_CODE, *codes):
        if len(code) < 6:
            continue
        assert code not in text
        assert code[:6] not in text


def copied(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


def example_fixture(example: Body) -> Any:
    """A fixture that gives each test its own copy of `example` to mutate."""

    @pytest.fixture
    def fixture() -> Body:
        return copied(example)

    return fixture


def sealed(
    payload: BaseModel, sender: str, recipient: str, referral_id: UUID | None = None
) -> Body:
    """A valid envelope as the dict a receiver would parse."""
    envelope = seal(payload, sender=sender, recipient=recipient, referral_id=referral_id)
    result: Body = json.loads(envelope.to_bytes())
    return result


def opened(envelope: Body) -> Envelope:
    """``envelope`` opened as a receiver opens it from the bus."""
    return open_message(json.dumps(envelope).encode())


def rejected(envelope: Body, *codes: str) -> MessageRejected:
    """The receiver refuses ``envelope``, and its reason shows no identity code (``codes``)."""
    with pytest.raises(MessageRejected) as caught:
        opened(envelope)
    assert_no_identity_code(caught.value.detail, *codes)
    return caught.value
