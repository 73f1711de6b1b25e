"""Canonical JSON: one byte string per content, the one ``json.dumps(content, sort_keys=True,
separators=(",", ":"))`` writes.

What is signed, hashed or authenticated is written in this form: a message's signed statement
and its sealed header, the entries of the hash chains (access log, message log) and a request's
fingerprint under its Idempotency-Key. The other side, or a later verification, derives the
same bytes again, so they may never depend on how they were written.

orjson writes them several times faster, and byte for byte as the standard library does as
long as the content is plain (strings, integers, booleans and null in objects with string keys
and in arrays). Its escapes are the standard library's too: compared for every code point
(``tests/unit/schemas/test_canonical.py``), quotes, backslashes and control characters come
out alike. Anything else (a float, whose exponent the two write differently; a datetime, which
only orjson would accept; a lone surrogate, which orjson refuses; with ``ascii_only`` a
character beyond ASCII, or DEL, which only the standard library then escapes) is written by
the standard library.

orjson hands back its working buffer as the bytes object, up to about sixteen times the
length (4 KB for a short statement, 32 KB for a 3 KB sealed notice), and never shrinks it. A
sealed message is held until the broker confirms it, a relay pass holds hundreds: the fast path
copies the bytes into an object of their own size (``_fitted``), a fraction of a microsecond.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_LEAVES = (int, type(None))  # and str; bool is an int
_DEL = b"\x7f"  # ASCII, yet escaped by ``json.dumps`` when it writes ASCII only


def canonical_json(content: Any, *, ascii_only: bool = True) -> bytes:
    """``content`` in canonical form, UTF-8; ``ascii_only``: characters beyond ASCII as
    ``\\uXXXX`` escapes (``json.dumps``'s default ``ensure_ascii``)."""
    if _plain(content, ascii_only=ascii_only):
        try:
            fast = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a TypeError
            pass  # an integer beyond 64 bits, a lone surrogate: the standard library writes it
        else:
            if not ascii_only or _DEL not in fast:
                return _fitted(fast)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.encode()


def _fitted(written: bytes) -> bytes:
    """``written`` in a bytes object of its own size: orjson's spare capacity let go."""
    return bytes(memoryview(written))


def _plain(content: Any, *, ascii_only: bool) -> bool:
    """Only what both write alike: dicts with string keys, lists, tuples, strings, integers,
    booleans and None (no float, no datetime, no other object); with ``ascii_only``, strings
    of ASCII only (orjson writes the others unescaped).

    A loop over a stack, not a recursion: it runs on every message signed, sealed, hashed
    into a chain or fingerprinted, and the recursive form cost several times orjson itself.
    """
    pending = [content]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if ascii_only and not item.isascii():
                return False
        elif isinstance(item, dict):
            for key in item:
                if type(key) is not str or (ascii_only and not key.isascii()):
                    return False
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif not isinstance(item, _LEAVES):
            return False
    return True
