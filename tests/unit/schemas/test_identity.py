import unicodedata
from datetime import date

import pytest
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from silta_schemas import Contract
from silta_schemas.identity import (
    IDENTITY_CODE_PATTERN,
    IdentityCode,
    birth_date,
    check_identity_code,
    contains_identity_code,
    normalise_text,
    redact_identity_codes,
)

from .support import assert_no_identity_code, errors, make_code

CONTROL = "0123456789ABCDEFHJKLMNPRSTUVWXY"

# Published examples: DVV test codes (checked in data/SOURCES.md) and the classic example.
PUBLISHED = ["131052-308T", "010594Y9032", "020594X903P", "010516B903X", "020504B904H"]

BIRTH_DATES = {"+": date(1899, 12, 31), "A": date(2000, 2, 29), "-": date(1952, 10, 13)}
BIRTH_DATES.update(dict.fromkeys("YXWVU", date(1994, 5, 1)))
BIRTH_DATES.update(dict.fromkeys("BCDEF", date(2016, 5, 1)))
ALL_SIGNS = sorted(BIRTH_DATES)


class Holder(Contract):
    code: IdentityCode


def rule_of(value: str) -> str:
    with pytest.raises(PydanticCustomError) as caught:
        check_identity_code(value)
    assert_no_identity_code(caught.value.message(), value)
    return caught.value.type


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert check_identity_code(code) == code


def test_every_century_sign_is_covered() -> None:
    assert set(ALL_SIGNS) == set("+-YXWVUABCDEF")


@pytest.mark.parametrize("sign", ALL_SIGNS)
@pytest.mark.parametrize("number", [2, 308, 899, 900, 999])
def test_valid_code_for_each_century_sign(sign: str, number: int) -> None:
    code = make_code(BIRTH_DATES[sign], sign, number)
    assert check_identity_code(code) == code
    assert birth_date(code) == BIRTH_DATES[sign]
    assert Holder(code=code).code == code


@pytest.mark.parametrize("code", PUBLISHED)
def test_every_other_control_character_is_rejected(code: str) -> None:
    for char in CONTROL.replace(code[-1], "") + "GIOQZ":
        assert rule_of(code[:-1] + char) == "identity_code.control_character"


@pytest.mark.parametrize(
    "born",
    [date(2023, 2, 28), date(2024, 2, 29), date(2000, 2, 29), date(1896, 2, 29)],
    ids=str,
)
def test_calendar_edges_are_valid(born: date) -> None:
    sign = {18: "+", 19: "-", 20: "A"}[born.year // 100]
    code = make_code(born, sign, 123)
    assert birth_date(check_identity_code(code)) == born


@pytest.mark.parametrize(
    "digits_and_sign",
    [
        "310223A",  # 31 Feb
        "290223A",  # 2023 is not a leap year
        "290200-",  # 1900 was not a leap year
        "290200+",  # nor was 1800
        "000124A",  # day 0
        "011324A",  # month 13
        "310424A",  # 31 April
    ],
)
def test_impossible_dates_are_rejected(digits_and_sign: str) -> None:
    number = "123"
    digits = digits_and_sign[:6] + number
    code = f"{digits_and_sign}{number}{CONTROL[int(digits) % 31]}"  # right control character
    assert rule_of(code) == "identity_code.date"


@pytest.mark.parametrize("number", ["000", "001"])
def test_individual_numbers_below_002_are_rejected(number: str) -> None:
    digits = "131052" + number
    assert rule_of(f"131052-{number}{CONTROL[int(digits) % 31]}") == (
        "identity_code.individual_number"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "131052-308",  # too short
        "131052-308TT",  # too long
        " 131052-308T",
        "131052-308T ",
        "131052-308T\n",
        "131052 308T",
        "131052G308T",  # not a century sign
        "131052Z308T",
        "131052/308T",
        "1310522308T",
        "13105-2308T",
        "131052-30AT",
        "131052-308t",  # lowercase control character
        "010516b903X",  # lowercase century sign
        "131052-308-",
        "１３１０５２-308T",  # full-width digits are not ASCII digits
    ],
)
def test_malformed_codes_are_rejected(value: str) -> None:
    assert rule_of(value) == "identity_code.format"


def test_model_field_reports_the_rule_without_the_code() -> None:
    with pytest.raises(ValidationError) as caught:
        Holder(code="131052-308U")
    assert errors(caught.value) == [(("code",), "identity_code.control_character")]
    assert_no_identity_code(str(caught.value))


def test_birth_date_rejects_invalid_code() -> None:
    with pytest.raises(PydanticCustomError):
        birth_date("131052-308U")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Asiakas 131052-308T soitti.", True),
        ("x131052-308Tx", True),
        ("hetu:010594Y9032,", True),
        ("lowercase 010516b903x counts too", True),
        ("en dash 131052\u2013308T counts too", True),
        ("full-width digits \uff11\uff13\uff11\uff10\uff15\uff12-308T count too", True),
        ("checksum wrong 131052-308U", False),
        ("impossible date 310223A123K", False),
        ("phone 040-1234567, date 13.10.1952", False),
        ("", False),
    ],
)
def test_contains_identity_code(text: str, expected: bool) -> None:
    assert contains_identity_code(text) is expected


def test_redaction_replaces_valid_and_lookalike_codes() -> None:
    text = "a 131052-308T b 131052-308U c 010594y9032 d 12.3.2026"
    assert redact_identity_codes(text) == (
        "a [henkilötunnus] b [henkilötunnus] c [henkilötunnus] d 12.3.2026"
    )


def test_redaction_leaves_ids_that_only_look_like_codes_and_takes_codes_hidden_in_them() -> None:
    """About one random UUID in a hundred ends in something code-shaped; mangling it would lose
    the referral id that operators search the logs by. A valid code in an id-shaped string is
    still a code."""
    lookalike = "3ebb73e6-d561-4078-bb64-088220e5181b"  # 08.82.20: no such date
    line = f'{{"referral_id": "{lookalike}", "event": "message received"}}'
    assert redact_identity_codes(line) == line
    hidden = next(
        code
        for number in range(2, 999)
        if (code := make_code(date(2005, 3, 1), "A", number))[-1] in "0123456789ABCDEF"
    )
    smuggled = f"3ebb73e6-d561-4078-bb64-{hidden.lower()}0"
    assert redact_identity_codes(f"GET /v1/referrals/{smuggled}") == (
        "GET /v1/referrals/3ebb73e6-d561-4078-bb64-[henkilötunnus]0"
    )
    assert redact_identity_codes("x 088220e5181 y") == "x [henkilötunnus] y"  # shape suffices


def test_redaction_leaves_trace_and_span_ids_unless_they_hide_a_valid_code() -> None:
    """One random trace id in nine holds something code-shaped: every log line carries one,
    and an operator follows a request through the logs by it."""
    trace_id, span_id = "4bf92f3577b34da6a3ce929d0e0e473608a8b220e5181b00"[:32], "0882206e5181bd00"
    assert IDENTITY_CODE_PATTERN.search(span_id)  # code-shaped, not a code (no such date)
    line = f'{{"event": "message received", "trace_id": "{trace_id}", "span_id": "{span_id}"}}'
    assert redact_identity_codes(line) == line
    shaped = "4bf92f35" + "088220e5181b" + "a3ce929d0e0e"  # 32 hex digits, code-shaped inside
    assert redact_identity_codes(shaped) == shaped
    hidden = next(
        code
        for number in range(2, 999)
        if (code := make_code(date(2005, 3, 1), "A", number))[-1] in "0123456789ABCDEF"
    )
    smuggled = f"4bf92f35{hidden.lower()}a3ce929d0e0e4"  # a caller's traceparent, say
    assert len(smuggled) == 32
    assert redact_identity_codes(smuggled) == "4bf92f35[henkilötunnus]a3ce929d0e0e4"


def test_pattern_finds_shapes_only() -> None:
    found = [
        m.group() for m in IDENTITY_CODE_PATTERN.finditer("131052-308T, 131052-30, 1310523308T")
    ]
    assert found == ["131052-308T"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /v1/directory?q=131052%2D308T", "GET /v1/directory?q=[henkilötunnus]"),
        ("q=131052%252d308t", "q=[henkilötunnus]"),  # encoded twice, any case
        ("q=241199%20777Y&page=2", "q=[henkilötunnus]&page=2"),
        ("100% sure, 50%2F50", "100% sure, 50%2F50"),  # nothing revealed: left as it was
    ],
)
def test_redaction_decodes_url_encoding_before_it_matches(text: str, expected: str) -> None:
    assert redact_identity_codes(text) == expected


def test_ascii_text_is_already_normal_and_a_hidden_code_in_other_text_is_still_found() -> None:
    every_ascii = "".join(chr(c) for c in range(128))
    assert normalise_text(every_ascii) == unicodedata.normalize("NFKC", every_ascii)
    assert normalise_text(every_ascii) == every_ascii  # nothing dropped or changed
    # Not ASCII: format characters dropped, full-width digits folded, as before.
    assert normalise_text("131052\u00ad-308T") == "131052-308T"
    assert normalise_text("\uff11\uff13\uff11\uff10\uff15\uff12-308T") == "131052-308T"
    assert redact_identity_codes("id 131052-308T, ok") == "id [henkilötunnus], ok"
