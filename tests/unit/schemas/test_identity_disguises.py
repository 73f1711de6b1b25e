"""Property tests: a valid identity code in free text is refused however it is disguised
(spaced, dotted, slashed, separator-free, with invisible characters inside), while ordinary
numbers (phone numbers, amounts, dates, reference numbers) pass."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from silta_schemas import Contract, FreeText, ShortText
from silta_schemas.identity import contains_identity_code, redact_identity_codes

from .support import assert_rule
from .test_identity_properties import identity_codes

INVISIBLE = "\u200b\u00ad\u2060\ufeff\u200c\u200d"
"""Zero-width space, soft hyphen, word joiner, BOM, zero-width (non-)joiner: format characters."""


class Note(Contract):
    short: ShortText = "x"
    long: FreeText = "x"


def _spaced(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", " ", "  ", "\u00a0", "\t"]))


@st.composite
def disguised(draw: st.DrawFn) -> str:
    """A valid code written as people (or an attacker) might: ``241199 777Y``, ``241199 - 777Y``,
    ``24.11.99-777Y``, ``241199777Y``, ``241199/777Y``, any case, invisible characters inside.

    A code whose control character is a digit keeps its century sign: without it, ten digits
    are indistinguishable from ordinary numbers (the documented limit)."""
    code = draw(identity_codes())
    birth, sign, rest = code[:6], code[6], code[7:]
    if draw(st.booleans()):
        birth = f"{birth[:2]}.{birth[2:4]}.{birth[4:]}"
    separators = [sign, "\u2013" if sign == "-" else sign]
    if rest[-1].isalpha():
        separators += ["", " ", "/", "\\", "_", ":", "."]
    separator = draw(st.sampled_from(separators))
    written = birth + _spaced(draw) + separator + _spaced(draw) + rest
    if separator == "":  # no separator: nothing may slip between the two halves
        written = birth + rest
    if draw(st.booleans()):
        written = written.lower()
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(written)))
        written = written[:at] + draw(st.sampled_from(INVISIBLE)) + written[at:]
    return written


words = st.sampled_from(
    ["Asiakas", "soitti", "puoliso", "hetu", "tel.", "summa", "päivä", "viite", "ja", "(", ")"]
)


@given(st.lists(words, max_size=4), disguised(), st.lists(words, max_size=4))
def test_a_disguised_identity_code_is_refused(
    before: list[str], code: str, after: list[str]
) -> None:
    text = " ".join([*before, code, *after])
    assert contains_identity_code(text)
    for field in ("short", "long"):
        assert_rule(Note, {field: text}, "free_text.identity_code", (field,))
    assert not contains_identity_code(redact_identity_codes(text))


def _digits(draw: st.DrawFn, n: int) -> str:
    return "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n, max_size=n)))


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["040", "041", "044", "045", "046", "050", "09", "02", "03"]))
    subscriber = _digits(draw, draw(st.integers(6, 8)))
    shapes = [
        f"{prefix} {subscriber[:3]} {subscriber[3:]}",
        f"{prefix}-{subscriber}",
        f"{prefix}{subscriber}",
        f"+358 {prefix[1:]} {subscriber[:3]} {subscriber[3:]}",
        f"+358{prefix[1:]}{subscriber}",
        f"({prefix}) {subscriber}",
    ]
    return draw(st.sampled_from(shapes))


@st.composite
def amounts(draw: st.DrawFn) -> str:
    euros = draw(st.integers(0, 10**9))
    cents = draw(st.integers(0, 99))
    grouped = f"{euros:,}".replace(",", " ")
    shapes = [f"{grouped},{cents:02d} €", f"{euros}.{cents:02d}", f"{euros} euroa", f"EUR {euros}"]
    return draw(st.sampled_from(shapes))


@st.composite
def dates(draw: st.DrawFn) -> str:
    day = draw(st.dates(date(1900, 1, 1), date(2099, 12, 31)))
    shapes = [
        f"{day.day}.{day.month}.{day.year}",
        f"{day:%d.%m.%Y}",
        f"{day:%d.%m.%y}",
        day.isoformat(),
        f"{day:%d.%m.%Y} klo {draw(st.integers(0, 23))}.{draw(st.integers(0, 59)):02d}",
    ]
    return draw(st.sampled_from(shapes))


@st.composite
def reference_numbers(draw: st.DrawFn) -> str:
    """A Finnish bank reference number (viitenumero): its 7-3-1 check digit, written bare or in
    groups of five from the right."""
    base = str(draw(st.integers(100, 10**19 - 1)))
    weights = (7, 3, 1)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(base)))
    number = base + str((10 - total % 10) % 10)
    groups = [number[max(0, end - 5) : end] for end in range(len(number), 0, -5)][::-1]
    return draw(st.sampled_from([number, " ".join(groups)]))


ordinary = st.one_of(phone_numbers(), amounts(), dates(), reference_numbers())


@given(st.lists(st.tuples(words, ordinary), min_size=1, max_size=5))
def test_ordinary_numbers_are_allowed(parts: list[tuple[str, str]]) -> None:
    text = " ".join(f"{word} {number}" for word, number in parts)
    assert not contains_identity_code(text)
    note = Note(short=text[:200].strip(), long=text)
    assert note.long == text
