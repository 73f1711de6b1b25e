"""The ``Idempotency-Key`` rule both HTTP APIs apply to what they create.

A client that repeats a request with the same key gets the first answer again, nothing is
created twice; the key with another body is refused (``idempotency_key.reused``). The body is
recognised by its digest, stored beside the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from silta_schemas.canonical import canonical_json
from silta_schemas.errors import RuleRefused


class IdempotencyKeyReused(RuleRefused):
    """The Idempotency-Key was used before with a different request body."""

    def __init__(self) -> None:
        super().__init__(
            "idempotency_key.reused",
            "this Idempotency-Key was used with a different request body",
            field="Idempotency-Key",
        )


def fingerprint(body: Mapping[str, Any]) -> str:
    """The request body's digest, stored with its Idempotency-Key to recognise a replay."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def check_replay(stored_fingerprint: str | None, request_fingerprint: str) -> None:
    """A request repeating an Idempotency-Key must repeat the body too."""
    if stored_fingerprint != request_fingerprint:
        raise IdempotencyKeyReused()
