import pytest
from silta_schemas import Contract, FreeText, ShortText

from .support import assert_rule


class Note(Contract):
    short: ShortText = "x"
    long: FreeText = "x"


@pytest.mark.parametrize("field", ["short", "long"])
@pytest.mark.parametrize(
    "text",
    [
        "Asiakkaan hetu 131052-308T",
        "Puoliso 010594Y9032 ei tiedä",  # another person's code: never
        "lowercase 010516b903x",
        "dash 131052\u2013308T",
        # the second review's disguises (issue 9.2)
        "toinen 241199 777Y",
        "toinen 241199 - 777Y",
        "toinen 24.11.99-777Y",
        "toinen 241199777Y",
        "toinen 241199/777Y",
        "zero-width 2411\u200b99-777Y",
        "soft hyphen 241199-77\u00ad7Y",
        "full-width \uff12\uff14\uff11\uff11\uff19\uff19 777Y",
    ],
)
def test_embedded_valid_identity_code_is_rejected(field: str, text: str) -> None:
    error = assert_rule(Note, {field: text}, "free_text.identity_code", (field,))
    assert "client.identity_code" in error.errors()[0]["msg"]


@pytest.mark.parametrize(
    "text",
    [
        "checksum wrong 131052-308U",
        "Kela decision 12.3.2026, ref 2026-000123",
        "phone 040-123 4567",
        "phone 0401234567, +358401234567, 09 123 4567",
        "amount 241 199,77 €, date 24.11.1999 klo 12.30",
        "reference 12345 67890 12348, bare 1234567890",
    ],
)
def test_lookalikes_and_ordinary_text_are_accepted(text: str) -> None:
    assert Note(short=text, long=text).long == text


def test_text_is_stripped() -> None:
    assert Note(short="  hello \n", long="\tworld ").model_dump() == {
        "short": "hello",
        "long": "world",
    }


@pytest.mark.parametrize(
    ("field", "limit"),
    [("short", 200), ("long", 2000)],
)
def test_length_limits(field: str, limit: int) -> None:
    assert len(getattr(Note.model_validate({field: "a" * limit}), field)) == limit
    assert_rule(Note, {field: "a" * (limit + 1)}, "string_too_long", (field,))


@pytest.mark.parametrize("field", ["short", "long"])
@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_blank_text_is_rejected(field: str, text: str) -> None:
    assert_rule(Note, {field: text}, "string_too_short", (field,))
