"""Canonical JSON: one byte string per content, the one ``json.dumps(content, sort_keys=True,
separators=(",", ":"))`` writes.

What is signed, hashed or authenticated is written in this form: a message's signed statement
and its sealed header, the entries of the hash chains (access log, message log) and a request's
fingerprint under its Idempotency-Key. The other side, or a later verification, derives the
same bytes again, so they may never depend on how they were written.

orjson writes them several times faster, and byte for byte as the standard library does as
long as the content is plain (strings, integers, booleans and null in objects with string keys
and in arrays) and nothing in it needs an escape. Anything else (a float, whose exponent the
two write differently; a datetime, which only orjson would accept; a quote, a backslash or a
control character in a string; with ``ascii_only`` a character beyond ASCII) is written by the
standard library, as before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_LEAVES = (str, int, type(None))  # bool is an int


def canonical_json(content: Any, *, ascii_only: bool = True) -> bytes:
    """``content`` in canonical form, UTF-8; ``ascii_only``: characters beyond ASCII as
    ``\\uXXXX`` escapes (``json.dumps``'s default ``ensure_ascii``)."""
    if _plain(content):
        try:
            fast = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a TypeError
            pass  # an integer beyond 64 bits: the standard library writes it
        else:
            if b"\\" not in fast and (fast.isascii() or not ascii_only):
                return fast
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.encode()


def _plain(value: Any) -> bool:
    """Only what both write alike: dicts with string keys, lists, tuples, strings, integers,
    booleans and None (no float, no datetime, no other object)."""
    if isinstance(value, dict):
        return all(type(key) is str and _plain(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return isinstance(value, _LEAVES)
