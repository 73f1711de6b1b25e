"""What a signature covers: a small signed statement about the message, not its body.

Ed25519 signs a message, not a digest, so a signature over the body could only be checked
while the body exists, and retention purges bodies. The sender therefore signs a *statement*
(as X-Road signs the digests of a message's parts): canonical JSON of the message's facts
and the SHA-256 of the exact body bytes it publishes::

    {"body_sha256": "<hex>", "created_at": "...", "kind": "notice_of_need",
     "message_id": "...", "recipient": "county-11", "referral_id": "...", "sender": "kela",
     "v": 1}

The statement travels in the ``x-silta-signed`` header beside the signature. The receiver
checks that the body's digest is the statement's, verifies the signature over the statement
(before the body is parsed) and, once the envelope is open, that its facts are the
statement's. The statement holds ids, kinds, organisations and a digest: nothing personal.
It is what the message log keeps (``silta_protection.evidence``), so the signature of a
message can be checked offline years after its body was purged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import orjson
from silta_schemas.canonical import canonical_json
from silta_schemas.envelope import Envelope, MessageRejected

STATEMENT_HEADER: Final = "x-silta-signed"
VERSION: Final = 1
MISMATCH: Final = "signature.statement_mismatch"
MAX_STATEMENT: Final = 1000


@dataclass(frozen=True)
class MessageFacts:
    """What the statement says about a message besides its digest (all strings or None)."""

    message_id: str | None
    kind: str | None
    sender: str | None
    recipient: str | None
    referral_id: str | None
    created_at: str | None

    @classmethod
    def of(cls, envelope: Envelope) -> MessageFacts:
        return cls(
            str(envelope.message_id),
            str(envelope.kind),
            envelope.sender,
            envelope.recipient,
            None if envelope.referral_id is None else str(envelope.referral_id),
            envelope.created_at.isoformat(),
        )

    @classmethod
    def of_body(cls, body: bytes) -> MessageFacts:
        """The facts of a sealed envelope's JSON, read without validating it (the sender
        sealed and validated it already); None for what a body that is no envelope lacks."""
        try:
            parsed = orjson.loads(body)
        except ValueError:
            parsed = None
        fields = parsed if isinstance(parsed, dict) else {}

        def text(name: str) -> str | None:
            value = fields.get(name)
            return value if isinstance(value, str) else None

        return cls(*(text(name) for name in FACTS))

    def as_dict(self) -> dict[str, str | None]:
        """The facts by name (``dataclasses.asdict`` deep-copies: measurably slower)."""
        return {name: getattr(self, name) for name in FACTS}


FACTS: Final = ("message_id", "kind", "sender", "recipient", "referral_id", "created_at")


def digest(body: bytes) -> str:
    """SHA-256 of ``body``, hex: what the message log and the statement call ``body_sha256``."""
    return hashlib.sha256(body).hexdigest()


def canonical(content: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: one byte string per content."""
    return canonical_json(content, ascii_only=False)


def statement(body_sha256: str, facts: MessageFacts) -> bytes:
    """The statement the sender signs (see the module's docstring)."""
    return canonical({"v": VERSION, "body_sha256": body_sha256, **facts.as_dict()})


def read_statement(text: str) -> dict[str, Any] | None:
    """The content of a canonical statement of this version; None for anything else."""
    try:
        content = orjson.loads(text) if len(text) <= MAX_STATEMENT else None
    except ValueError:
        return None
    if (
        not isinstance(content, dict)
        or content.get("v") != VERSION
        or set(content) != {"v", "body_sha256", *FACTS}
        or canonical(content) != text.encode()
    ):
        return None
    return content


def _same(name: str, signed: Any, opened: str | None) -> bool:
    """Compare values, not spellings: a UUID or a time may be written more than one way."""
    if signed is None or opened is None:
        return signed is opened
    if not isinstance(signed, str):
        return False
    try:
        if name in ("message_id", "referral_id"):
            return UUID(signed) == UUID(opened)
        if name == "created_at":
            return datetime.fromisoformat(signed) == datetime.fromisoformat(opened)
    except ValueError:
        return False
    return signed == opened


def check_facts(content: Mapping[str, Any], envelope: Envelope) -> None:
    """The opened envelope must be what the sender signed for."""
    opened = MessageFacts.of(envelope).as_dict()
    if not all(_same(name, content[name], value) for name, value in opened.items()):
        raise MessageRejected(MISMATCH, "the envelope is not what the signed statement says")
