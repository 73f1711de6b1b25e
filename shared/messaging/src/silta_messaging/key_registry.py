"""The key registry's JSON, read once for both kinds of key it lists.

The registry is one JSON object keyed by key id. An entry's ``use`` says what the key is for:
``sign`` (the default: an Ed25519 key the organisations sign with, ``silta_messaging.signing``)
or ``encrypt`` (an X25519 key messages to the organisations are encrypted to,
``silta_messaging.sealing``). Every entry names its ``organisations`` and its ``public_key``
(base64 of 32 raw bytes). Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any, Final

SIGN: Final = "sign"
ENCRYPT: Final = "encrypt"

KEY_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
KEY_BYTES: Final = 32
_REQUIRED: Final = frozenset({"organisations", "public_key"})


def b64decode(data: str | bytes, what: str) -> bytes:
    """Strict base64; ValueError naming ``what`` (never the value)."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None


def raw_key(text: object, what: str) -> bytes:
    """The 32 raw bytes of a key given as base64 text."""
    if not isinstance(text, str | bytes):
        raise ValueError(f"{what} is base64 text")
    raw = b64decode(text, what)
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{what} must be 32 raw bytes, base64")
    return raw


def check_key_id(key_id: str) -> str:
    if not KEY_ID_PATTERN.match(key_id):
        raise ValueError("a key id is 1-64 characters: letters, digits, '.', '_', '-'")
    return key_id


def entries(
    text: str, use: str, optional: frozenset[str] = frozenset()
) -> Iterator[tuple[str, dict[str, Any], frozenset[str]]]:
    """``(key id, entry, organisations)`` of every entry for ``use``; ValueError if any
    entry is malformed (also one for the other use)."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise ValueError("the key registry is not JSON") from None
    if not isinstance(raw, dict):
        raise ValueError("the key registry is a JSON object keyed by key id")
    for key_id, entry in raw.items():
        check_key_id(key_id)
        if not isinstance(entry, dict) or entry.get("use", SIGN) not in (SIGN, ENCRYPT):
            raise ValueError(f"key {key_id}: an object whose use is {SIGN} or {ENCRYPT}")
        if entry.get("use", SIGN) != use:
            continue
        if not _REQUIRED <= set(entry) - {"use"} <= _REQUIRED | optional:
            more = "".join(f", optionally {name}" for name in sorted(optional))
            raise ValueError(f"key {key_id}: needs exactly organisations and public_key{more}")
        organisations = entry["organisations"]
        if (
            not isinstance(organisations, list)
            or not organisations
            or not all(isinstance(org, str) and org for org in organisations)
        ):
            raise ValueError(f"key {key_id}: organisations is a non-empty list of ids")
        yield key_id, entry, frozenset(organisations)
