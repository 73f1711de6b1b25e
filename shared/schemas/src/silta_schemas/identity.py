"""Finnish personal identity code (henkilötunnus).

Format `DDMMYY C ZZZ Q`: birth date, century sign, individual number (002–899; 900–999 are
temporary codes, accepted), control character = `DDMMYYZZZ` mod 31 indexed into
`0123456789ABCDEFHJKLMNPRSTUVWXY`. Since 2023 the century sign is part of the identity
(`-` and `Y` are different people), so codes are compared with all 11 characters.
"""

import re
import unicodedata
from datetime import date
from typing import Annotated, Final
from urllib.parse import unquote

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

CONTROL_CHARACTERS: Final = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS: Final[dict[str, int]] = {
    "+": 1800,
    **dict.fromkeys("-YXWVU", 1900),
    **dict.fromkeys("ABCDEF", 2000),
}
REDACTED: Final = "[henkilötunnus]"

_SIGNS = "+\\-YXWVUA-F"
_FORMAT = re.compile(rf"([0-9]{{2}})([0-9]{{2}})([0-9]{{2}})([{_SIGNS}])([0-9]{{3}})([0-9A-Z])")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # typographic hyphens and minus

IDENTITY_CODE_PATTERN: Final = re.compile(
    rf"\d{{6}}[{_SIGNS}{_DASHES}]\d{{3}}[0-9A-Z]", re.IGNORECASE
)
"""Finds identity-code-shaped substrings in text, checksum not checked.

Deliberately loose: any letter case, any Unicode digits, typographic dashes. It serves
redaction and screening, where finding too much is safe.
"""


def _canonical(candidate: str) -> str:
    """A found candidate as it would be written in a form: ASCII, uppercase, plain hyphen."""
    folded = _ascii_digits(unicodedata.normalize("NFKC", candidate).upper())
    return re.sub(f"[{_DASHES}]", "-", folded)


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


# --- disguised codes: spaced, dotted, slashed, separator-free ----------------------------

_DISGUISED = re.compile(
    # DDMMYY, or DD.MM.YY, with no digit before it. "No digit before" is written as a
    # digit, then a look back at two: beginning with a digit, the scan can skip to the next
    # one; beginning with the look-behind ``(?<!\d)``, it was tried at every position
    # (twice the time in prose with dates).
    r"(\d(?<!\d\d)\d)(\.?)(\d{2})\2(\d{2})"
    rf"\s{{0,3}}([{_SIGNS}{_DASHES}/\\_.:|]?)\s{{0,3}}"  # a sign or separator, spaced or not
    r"(\d{3})([0-9A-Z])(?!\d)",
    re.IGNORECASE,
)
"""An identity code written another way: ``241199 777Y``, ``241199 - 777Y``, ``24.11.99-777Y``,
``241199777Y``, ``241199/777Y``. Only a candidate whose date, individual number and control
character all check out counts (``_disguised_code``)."""


_TWO_DIGITS = re.compile(r"\d\d")
"""What every candidate of both patterns begins with (``\\d`` alike: any Unicode digit). Prose
without two digits in a row cannot hold a code, and is not scanned for one: the two scans cost
about 110 µs of a 1,500-character description, this search a few."""


def normalise_text(text: str) -> str:
    """``text`` as screening reads it: format characters (zero-width space, soft hyphen, word
    joiner, …, Unicode category Cf) dropped, then NFKC (full-width digits, no-break spaces)."""
    if text.isascii():  # ASCII has no format character, and NFKC leaves it as it is
        return text  # (every log line, most English text)
    # The format characters are looked for among the text's distinct characters, a few
    # dozen in prose, not by a walk over every character: Finnish prose is never ASCII (ä,
    # ö), and the walk cost 190 µs of a 1,500-character description's 300 µs of screening.
    hidden = {ord(c): None for c in set(text) if unicodedata.category(c) == "Cf"}
    return unicodedata.normalize("NFKC", text.translate(hidden) if hidden else text)


def _disguised_code(match: re.Match[str]) -> bool:
    """True if the candidate is a valid identity code written another way.

    With a digit as control character it counts only with its century sign (``241199 -
    7770``): without one, ten digits are as likely a phone number, a date and an amount, or a
    reference number (the documented limit)."""
    day, _, month, year, separator, number, control = (
        _ascii_digits(group).upper() for group in match.groups()
    )
    separator = "-" if separator and separator in _DASHES else separator
    if control.isdigit() and separator not in CENTURY_SIGNS:
        return False
    if int(number) < 2 or control != control_character(day + month + year + number):
        return False
    centuries = [CENTURY_SIGNS[separator]] if separator in CENTURY_SIGNS else [1800, 1900, 2000]
    for century in centuries:
        try:
            date(century + int(year), int(month), int(day))
        except ValueError:
            continue
        return True
    return False


def control_character(digits: str) -> str:
    """The control character for the nine digits `DDMMYYZZZ`."""
    return CONTROL_CHARACTERS[int(digits) % 31]


def check_identity_code(value: str) -> str:
    """Return `value` if it is a valid identity code, else raise `PydanticCustomError`.

    Uppercase is required: the code is compared as stored, and a lowercase sign letter
    would be a different string for the same person.
    """
    match = _FORMAT.fullmatch(value)
    if match is None:
        raise PydanticCustomError(
            "identity_code.format",
            "a personal identity code is 11 characters: DDMMYY, a century sign "
            "(+, -, Y, X, W, V, U, A-F), a 3-digit individual number and an uppercase "
            "control character",
        )
    day, month, year, sign, number, control = match.groups()
    try:
        date(CENTURY_SIGNS[sign] + int(year), int(month), int(day))
    except ValueError:
        raise PydanticCustomError(
            "identity_code.date", "the personal identity code does not start with a real date"
        ) from None
    if int(number) < 2:
        raise PydanticCustomError(
            "identity_code.individual_number",
            "the individual number of a personal identity code is 002-899 (900-999 temporary)",
        )
    if control != control_character(day + month + year + number):
        raise PydanticCustomError(
            "identity_code.control_character",
            "the control character of the personal identity code does not match",
        )
    return value


def is_valid_identity_code(value: str) -> bool:
    """True if `value` is exactly a valid identity code."""
    try:
        check_identity_code(value)
    except PydanticCustomError:
        return False
    return True


def contains_identity_code(text: str) -> bool:
    """True if ``text`` holds a valid identity code, however typed: any case, typographic
    dashes, full-width digits, format characters inside (``normalise_text``), spaced or
    dotted or separator-free (``_DISGUISED``)."""
    normal = normalise_text(text)
    if _TWO_DIGITS.search(normal) is None:
        return False
    return any(
        is_valid_identity_code(_canonical(m.group()))
        for m in IDENTITY_CODE_PATTERN.finditer(normal)
    ) or any(_disguised_code(m) for m in _DISGUISED.finditer(normal))


def redact_identity_codes(text: str) -> str:
    """Replace every identity-code-shaped substring with `[henkilötunnus]`, for logs; the text
    is normalised first (``normalise_text``), and valid codes written another way go too.
    URL-encoded text is decoded (up to three layers: ``131052%2D308T``, ``%252D``) and, where
    that reveals a code, the decoded text is what is kept, redacted.

    Shape is enough for the written form: an invalid code is usually a mistyped real one.
    """
    result = layer = _redact(text)
    for _ in range(3):
        decoded = unquote(layer)
        if decoded == layer:
            break
        redacted = _redact(decoded)
        if redacted != decoded:
            result = redacted
        layer = redacted
    return result


_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # referral, message ids
    r"|(?<![0-9a-z])[0-9a-f]{16,}(?![0-9a-z])",  # trace (32 hex digits) and span ids (16)
    re.IGNORECASE,
)
"""Ids in log lines: referral, message and statement ids (UUIDs), and the W3C trace and span
ids every line carries. Random hex is often code-shaped (six digits, a sign ``A``-``F``,
three digits, a character): about one UUID in a hundred (``…-088220e5181b``), one trace id in
nine and one span id in thirty; shape alone would mangle the ids operators search the logs
by."""


def _redact(text: str) -> str:
    normal = normalise_text(text)
    if _TWO_DIGITS.search(normal) is None:
        return normal
    ids = [found.span() for found in _ID.finditer(normal)]

    def shaped(match: re.Match[str]) -> str:
        # Inside an id only a code that checks out goes (one smuggled into an id-shaped
        # string); elsewhere the shape is enough, as the docstring above says.
        inside = any(start <= match.start() and match.end() <= end for start, end in ids)
        if inside and not is_valid_identity_code(_canonical(match.group())):
            return match.group()
        return REDACTED

    redacted = IDENTITY_CODE_PATTERN.sub(shaped, normal)
    # A code written another way and glued to the next one (``010128 002R010128 002R``) is
    # seen only once that one is gone (no digit may follow it): again until nothing changes.
    # Each round removes digits, so it ends.
    while True:
        again = _DISGUISED.sub(lambda m: REDACTED if _disguised_code(m) else m.group(), redacted)
        if again == redacted:
            return again
        redacted = again


def birth_date(code: str) -> date:
    """Date of birth encoded in a valid identity code."""
    check_identity_code(code)
    return date(CENTURY_SIGNS[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))


IdentityCode = Annotated[
    str,
    AfterValidator(check_identity_code),
    Field(
        description="Finnish personal identity code (henkilötunnus), 11 characters, uppercase.",
        examples=["131052-308T"],
        json_schema_extra={"pattern": "^\\d{6}[-+YXWVUA-F]\\d{3}[0-9A-FHJ-NPR-Y]$"},
    ),
]
"""A validated personal identity code. Never log it: use `redact_identity_codes`."""
