"""Canonical JSON: the same bytes as the standard library's, whichever path wrote them.

Signatures, sealed headers, hash chains and Idempotency-Key fingerprints are checked by
deriving these bytes again, on the other side or years later: one byte of difference would
make a valid message, log entry or replay look forged.
"""

import json
import tracemalloc
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from silta_schemas.canonical import canonical_json

LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats(allow_nan=False)
    | st.text()  # quotes, backslashes, control characters, non-ASCII, U+2028
)
CONTENT = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def standard(content: Any, ascii_only: bool) -> bytes:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.encode()


@given(CONTENT, st.booleans())
def test_any_content_is_written_as_the_standard_library_writes_it(
    content: Any, ascii_only: bool
) -> None:
    assert canonical_json(content, ascii_only=ascii_only) == standard(content, ascii_only)


@pytest.mark.parametrize(
    "content",
    [
        {"b": 1, "a": [True, None, "x"], "c": {"z": "", "y": -(2**63)}},
        {"name": "Äänekoski", "note": 'a "quoted" line\nand a \\ backslash'},
        {"big": 2**64, "float": 1e16, "small": 1e-5},
        {"separator": "\u2028", "control": "\x00\x1f\x7f"},
        {1: "integer keys", 2: "are written as strings"},
    ],
)
@pytest.mark.parametrize("ascii_only", [True, False])
def test_the_cases_where_the_two_writers_differ_are_written_the_standard_way(
    content: dict[str, Any], ascii_only: bool
) -> None:
    assert canonical_json(content, ascii_only=ascii_only) == standard(content, ascii_only)


@pytest.mark.parametrize("ascii_only", [True, False])
def test_every_character_is_escaped_as_the_standard_library_escapes_it(ascii_only: bool) -> None:
    # Each in a string of its own and all together, as a value and as a key: the fast path
    # now takes strings with quotes, backslashes and control characters too.
    characters = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    everything = "".join(characters)
    for content in (characters, everything, {everything: everything}):
        assert canonical_json(content, ascii_only=ascii_only) == standard(content, ascii_only)


def test_a_lone_surrogate_is_written_as_the_standard_library_writes_it() -> None:
    content = {"broken": "\ud800 half a pair"}
    assert canonical_json(content) == standard(content, True)  # escaped: \ud800
    with pytest.raises(UnicodeEncodeError):  # not UTF-8, so no canonical form, as before
        canonical_json(content, ascii_only=False)


def test_what_the_standard_library_refuses_is_refused():
    # orjson would write a datetime; a canonical form that did would differ from the other
    # side's whenever it fell back to the standard library.
    with pytest.raises(TypeError):
        canonical_json({"at": datetime(2026, 12, 5, tzinfo=UTC)})


def test_the_bytes_hold_no_more_memory_than_their_length() -> None:
    """A relay pass holds hundreds of sealed messages until the broker confirms them: each
    must cost its length, not the writer's working buffer (orjson's is up to sixteen times
    larger, and a service under load then grew by about 5 MB at Kela)."""
    content = {"ciphertext": "A" * 3000, "nonce": "B" * 32, "recipients": [{"key": "C" * 44}]}
    length = len(canonical_json(content))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [canonical_json(content) for _ in range(200)]
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(held) == 200
    assert grown / 200 < 1.2 * length, f"{grown / 200:.0f} bytes held for {length} written"
