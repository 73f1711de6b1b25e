"""What a consumer hands its handlers: an incoming message, a handler's rejection of one, and
the dispatch of a batch to one handler per message kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel
from silta_schemas.envelope import Envelope
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_messaging.signing import Signed


@dataclass(frozen=True)
class Incoming:
    """A validated message: its envelope and its typed payload."""

    envelope: Envelope
    payload: BaseModel
    digest: str = ""
    """SHA-256 of the envelope's bytes (decrypted, if it travelled encrypted; empty when not
    known)."""
    signed: Signed | None = None
    """The verified signature and the statement it covers (None without a verifier)."""


@dataclass(frozen=True)
class Rejection:
    """Why a valid-looking message cannot be processed (``rule`` names the rule)."""

    rule: str
    detail: str


BatchHandler = Callable[[AsyncConnection, Sequence[Incoming]], Awaitable[Mapping[UUID, Rejection]]]
"""Applies a batch inside the open transaction; returns the messages it rejects."""


Context = TypeVar("Context")


def dispatch(
    handlers: Mapping[
        str, Callable[[Context, Sequence[Incoming]], Awaitable[Mapping[UUID, Rejection]]]
    ],
    *,
    unhandled_rule: str,
) -> Callable[[Context, Sequence[Incoming]], Awaitable[Mapping[UUID, Rejection]]]:
    """One handler per message kind; a kind with no handler is rejected with ``unhandled_rule``.

    ``Context`` is what every handler gets with its messages: the open connection, or a unit
    of work around it (``silta_platform.unit_of_work``).
    """

    async def handle(context: Context, messages: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        by_kind: dict[str, list[Incoming]] = {}
        for message in messages:
            by_kind.setdefault(str(message.envelope.kind), []).append(message)
        rejections: dict[UUID, Rejection] = {}
        for kind, items in by_kind.items():
            handler = handlers.get(kind)
            if handler is None:
                for item in items:
                    rejections[item.envelope.message_id] = Rejection(
                        unhandled_rule, f"this side does not take {kind} messages"
                    )
            else:
                rejections.update(await handler(context, items))
        return rejections

    return handle
