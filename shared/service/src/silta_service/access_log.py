"""Who handled a client's personal data, and when: an append-only, hash-chained access log.

Every entry holds the hash of the entry before it (``prev_hash``) and its own hash
(``entry_hash``, SHA-256 over its canonical content, ``prev_hash`` included); the chain head
(``access_log_head``, one row: the last ``seq`` and hash) is updated in the same statement
group. Editing any field of an entry breaks its own hash, deleting an entry breaks the next
entry's ``prev_hash`` (and the ``seq`` run), deleting the newest entries disagrees with the
head: ``verify_chain`` finds each.

Appends are serialised: the head row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite every transaction here is ``BEGIN IMMEDIATE``, one writer) in the transaction that
does the read or write being logged, and as its last statement, so the lock is held only
until that commit and is never held while waiting for another lock.

The log holds the client's keyed hash (``client_key``), never an identity code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field
from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_schemas.identity import IdentityCode
from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_service.db import as_utc
from silta_service.problems import problem_responses
from silta_service.protection import client_key_of
from silta_service.views import MAX_OFFSET, RuntimeDep

GENESIS_HASH = "0" * 64
ENTRIES = "access_log"
HEAD = "access_log_head"
_INDEX = "ix_access_log_client"
_PENDING = "silta.access_log.pending"


# --- who ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who handles personal data: a person or system (``subject``), for an organisation, in a
    role."""

    subject: str
    organisation: str
    role: str


UNAUTHENTICATED = Actor(subject="unauthenticated", organisation="unknown", role="none")
"""The actor of an HTTP request no authentication vouched for (until authentication is on)."""


def service_actor(service: str, organisation: str) -> Actor:
    """A service handling a bus message on behalf of the organisation that sent it."""
    return Actor(subject=service, organisation=organisation, role="service")


def actor_of(principal: object) -> Actor:
    """An ``Actor`` from what authentication left in ``request.state.principal``: an
    ``Actor``, or JWT claims (``sub``, ``org``, ``roles``) as a mapping or attributes."""
    if isinstance(principal, Actor):
        return principal

    def claim(name: str) -> Any:
        if isinstance(principal, Mapping):
            return principal.get(name)
        return getattr(principal, name, None)

    roles = claim("roles")
    many = isinstance(roles, list | tuple | set | frozenset)
    role = ",".join(sorted(str(r) for r in roles)) if many else roles
    return Actor(
        subject=str(claim("sub") or claim("subject") or UNAUTHENTICATED.subject),
        organisation=str(claim("org") or claim("organisation") or UNAUTHENTICATED.organisation),
        role=str(role or claim("role") or UNAUTHENTICATED.role),
    )


async def current_actor(request: Request) -> Actor:
    """The caller, as authentication middleware left it in ``request.state.principal``;
    ``UNAUTHENTICATED`` when nothing did."""
    principal = getattr(request.state, "principal", None)
    return UNAUTHENTICATED if principal is None else actor_of(principal)


ActorDep = Annotated[Actor, Depends(current_actor)]


# --- what --------------------------------------------------------------------------------

Action = Literal["create", "read", "update", "search", "purge", "access_request"]


@dataclass(frozen=True)
class Access:
    """One handling of personal data, to be logged."""

    actor: Actor
    action: Action
    resource: str
    resource_id: str | None
    client_key: str | None
    purpose: str
    channel: Literal["http", "bus", "maintenance"] = "http"


@dataclass(frozen=True)
class AccessLogTables:
    entries: Table
    head: Table


def add_access_log(metadata: MetaData) -> AccessLogTables:
    entries = Table(
        ENTRIES,
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("organisation", String(100), nullable=False),
        Column("role", String(200), nullable=False),
        Column("purpose", String(100), nullable=False),
        Column("action", String(20), nullable=False),
        Column("channel", String(20), nullable=False),
        Column("resource", String(40), nullable=False),
        Column("resource_id", String(36), nullable=True),
        Column("client_key", String(64), nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("entry_hash", String(64), nullable=False),
    )
    Index(_INDEX, entries.c.client_key, entries.c.seq)
    # One row (id 1), inserted by the migration that creates the table: the chain's head.
    head = Table(
        HEAD,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("last_seq", Integer, nullable=False),
        Column("last_hash", String(64), nullable=False),
    )
    return AccessLogTables(entries, head)


# --- the chain ---------------------------------------------------------------------------

_CHAINED = (
    "seq",
    "at",
    "subject",
    "organisation",
    "role",
    "purpose",
    "action",
    "channel",
    "resource",
    "resource_id",
    "client_key",
    "prev_hash",
)


def entry_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an entry's fields (``at`` as UTC ISO 8601, µs)."""
    content = {name: row[name] for name in _CHAINED}
    content["at"] = as_utc(row["at"]).isoformat(timespec="microseconds")
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record_access(
    conn: AsyncConnection, tables: AccessLogTables, accesses: Sequence[Access]
) -> None:
    """Append ``accesses`` to the chain, in the caller's transaction, as its last statement.

    Inside ``logging_accesses`` (a bus batch) the entries are collected and appended once,
    after every handler of the batch has run.
    """
    if not accesses:
        return
    pending: list[Access] | None = conn.info.get(_PENDING)
    if pending is not None:
        pending.extend(accesses)
        return
    await _append(conn, tables, accesses)


async def _append(
    conn: AsyncConnection, tables: AccessLogTables, accesses: Sequence[Access]
) -> None:
    head = tables.head
    query = select(head.c.last_seq, head.c.last_hash).where(head.c.id == 1)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    current = (await conn.execute(query)).first()
    if current is None:  # a database created without the migration's head row
        await conn.execute(head.insert().values(id=1, last_seq=0, last_hash=GENESIS_HASH))
        seq, prev = 0, GENESIS_HASH
    else:
        seq, prev = current.last_seq, current.last_hash
    now = datetime.now(UTC)
    rows = []
    for access in accesses:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "at": now,
            "subject": access.actor.subject[:200],
            "organisation": access.actor.organisation[:100],
            "role": access.actor.role[:200],
            "purpose": access.purpose,
            "action": access.action,
            "channel": access.channel,
            "resource": access.resource,
            "resource_id": access.resource_id,
            "client_key": access.client_key,
            "prev_hash": prev,
        }
        row["entry_hash"] = prev = entry_hash(row)
        rows.append(row)
    await conn.execute(tables.entries.insert(), rows)
    await conn.execute(update(head).where(head.c.id == 1).values(last_seq=seq, last_hash=prev))


def logging_accesses(tables: AccessLogTables, handler: BatchHandler) -> BatchHandler:
    """Wrap a bus handler: what its parts log is appended once, at the end of the batch."""

    async def handle(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        pending: list[Access] = []
        conn.info[_PENDING] = pending
        try:
            rejections = await handler(conn, messages)
        finally:
            conn.info.pop(_PENDING, None)
        if pending:
            await _append(conn, tables, pending)
        return rejections

    return handle


@dataclass
class Verification:
    """The result of ``verify_chain``: ``ok`` when every entry and the head agree."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_chain(conn: AsyncConnection, tables: AccessLogTables) -> Verification:
    """Walk the chain from the first entry: each hash recomputed, each link and number checked,
    the head compared with the last entry."""
    result = Verification()
    prev, expected_seq = GENESIS_HASH, 1
    stream = await conn.stream(select(tables.entries).order_by(tables.entries.c.seq))
    async for row in stream:
        values = dict(row._mapping)
        seq = values["seq"]
        if seq != expected_seq:
            result.problems.append(f"entry {seq}: entries {expected_seq}..{seq - 1} are missing")
        if values["prev_hash"] != prev:
            result.problems.append(f"entry {seq}: does not follow the entry before it")
        if entry_hash(values) != values["entry_hash"]:
            result.problems.append(f"entry {seq}: content does not match its hash")
        prev, expected_seq = values["entry_hash"], seq + 1
        result.entries += 1
    head = (await conn.execute(select(tables.head.c.last_seq, tables.head.c.last_hash))).first()
    last_seq = expected_seq - 1
    if head is None:
        if result.entries:
            result.problems.append("the chain head is missing")
    elif head.last_seq != last_seq or head.last_hash != prev:
        result.problems.append(
            f"the head names entry {head.last_seq}, the last entry is {last_seq}: "
            "entries at the end were removed or the head was altered"
        )
    return result


# --- the client's access request ---------------------------------------------------------


class AccessRequest(BaseModel):
    """A client asks who has handled their data: the identity code in the body, never a URL."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )


class AccessEntryView(BaseModel):
    seq: int = Field(description="Position in the hash chain.")
    at: datetime = Field(description="When.")
    subject: str = Field(description="Who: the person or system (`unauthenticated` if none).")
    organisation: str = Field(description="For which organisation.")
    role: str = Field(description="In which role.")
    purpose: str = Field(description="For what purpose.")
    action: str = Field(description="`create`, `read`, `update`, `search`, `purge`, …")
    channel: str = Field(description="`http` (the API), `bus` (a message) or `maintenance`.")
    resource: str = Field(description="What: `referral` or `statement`.")
    resource_id: str | None = Field(description="Its id.")


class AccessReport(BaseModel):
    items: list[AccessEntryView] = Field(description="Newest first.")


ACCESS_REQUEST_PURPOSE = "access_request"


def access_log_router(tables: AccessLogTables) -> APIRouter:
    """``POST /v1/access-log/search``: who has handled one client's data, and when (GDPR
    Art. 15; Act on Client Data in Social and Health Care 703/2023)."""
    router = APIRouter(prefix="/v1/access-log", tags=["access log"])

    @router.post(
        "/search",
        response_model=AccessReport,
        summary="Who has handled one client's personal data, and when",
        description="Entries found by the keyed hash of the identity code given in the body. "
        "The search itself is logged too.",
        responses=problem_responses(422),
    )
    async def search(
        runtime: RuntimeDep,
        actor: ActorDep,
        request: Annotated[AccessRequest, Body()],
        limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 200,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Entries to skip.")] = 0,
    ) -> AccessReport:
        key = client_key_of(runtime.settings, request.identity_code)
        entries = tables.entries
        async with runtime.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(entries)
                    .where(entries.c.client_key == key)
                    .order_by(entries.c.seq.desc())
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            await record_access(
                conn,
                tables,
                [Access(actor, "access_request", "client", None, key, ACCESS_REQUEST_PURPOSE)],
            )
        return AccessReport(
            items=[
                AccessEntryView.model_validate(dict(row._mapping) | {"at": as_utc(row.at)})
                for row in rows
            ]
        )

    return router


async def verify(engine: AsyncEngine, tables: AccessLogTables) -> Verification:
    async with engine.connect() as conn:
        return await verify_chain(conn, tables)
