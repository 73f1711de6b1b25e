"""What the relay and the consumer hand to the message log: one record per message sent or
accepted, built from its signed statement (``silta_messaging.statement``).

The log itself (hash-chained, kept after payloads are purged) is ``silta_protection.evidence``;
this side of the bus only says what to record, through one ``MessageLog`` call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_messaging.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    Signed,
    public_key_text,
)
from silta_messaging.statement import STATEMENT_HEADER

Direction = Literal["sent", "received"]


@dataclass(frozen=True)
class LoggedMessage:
    """One message as evidence: the signed statement (its facts and body digest), the
    signature, the key id and the public key that verifies it. Nothing personal."""

    direction: Direction
    statement: str
    signature: str
    key_id: str
    public_key: str

    @classmethod
    def sent(cls, headers: Mapping[str, str], public_key: str) -> LoggedMessage:
        """A message the relay published with the signature ``headers``."""
        return cls(
            "sent",
            headers[STATEMENT_HEADER],
            headers[SIGNATURE_HEADER],
            headers[KEY_ID_HEADER],
            public_key,
        )

    @classmethod
    def received(cls, signed: Signed) -> LoggedMessage:
        """A message the consumer verified and accepted."""
        return cls(
            "received",
            signed.statement,
            signed.signature,
            signed.key.key_id,
            public_key_text(signed.key.public_key),
        )

    @property
    def facts(self) -> dict[str, Any]:
        """The statement's content: the message's facts and ``body_sha256``."""
        content: dict[str, Any] = orjson.loads(self.statement)
        return content


MessageLog = Callable[[AsyncConnection, Sequence[LoggedMessage]], Awaitable[None]]
"""Appends to the message log inside the caller's transaction (as its last statement)."""
