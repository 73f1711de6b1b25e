"""The contact directory, the same on both sides: its table, the own part's writes (each
announced through the outbox), the bus handler for the other side's part, and the HTTP API.

Each side maintains its own part over its API (Kela its teams; a municipality-side deployment
the units of the counties it serves) and receives the other side's part over the bus as
`directory_update` messages. A change is applied only if it is newer than what is stored
(`updated_at` per entry); a removal leaves a tombstone so that an older change arriving late
cannot bring the entry back. Everything here is work contact data, never client data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field
from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.topology import COUNTY_EXCHANGE, KELA_EXCHANGE, routing_key
from silta_schemas import examples
from silta_schemas.codes import MessageKind
from silta_schemas.directory import (
    KELA_SERVICE_CATALOGUE,
    DirectoryEntry,
    DirectoryEntryRequest,
    DirectoryUpdate,
    KelaService,
    KelaServiceDescription,
)
from silta_schemas.envelope import ALL_COUNTIES, seal
from silta_schemas.parties import KELA, county_code_of
from silta_schemas.routing import COUNTY_NAMES
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    exc,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_service.authorisation import PrincipalDep, organisations_of
from silta_service.db import as_utc
from silta_service.problems import FieldError, ProblemError, not_found, problem_responses
from silta_service.views import MAX_OFFSET, RuntimeDep

T = TypeVar("T")

DIRECTORY = "directory_entries"
KELA_DIRECTORY_KEY = routing_key(MessageKind.DIRECTORY_UPDATE, "all")
"""Routing key of Kela's directory updates on `silta.kela`: every county side binds it."""
_COUNTY_PATTERN = r"^(0[1-9]|1[0-9]|2[01]|90)$"
_ORGANISATION_PATTERN = r"^(kela|county-(0[1-9]|1[0-9]|2[01]|90))$"


# --------------------------------------------------------------------------- the table


def add_directory_entries(metadata: MetaData) -> Table:
    """Define the directory table on a service's ``metadata``."""
    return Table(
        DIRECTORY,
        metadata,
        Column("entry_id", String(36), primary_key=True),
        Column("organisation", String(20), nullable=False),
        Column("county_code", String(2), nullable=True),
        # `,service_a,service_b,`: searched with LIKE on SQLite and PostgreSQL alike.
        Column("services", String(200), nullable=False),
        # Casefolded in Python: SQLite's lower() knows no ä or ö.
        Column("search_text", Text, nullable=False),
        Column("entry", JSON(none_as_null=True), nullable=True),
        Column("removed", Boolean, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("stored_at", DateTime(timezone=True), nullable=False),
        Index("ix_directory_entries_organisation", "organisation"),
        Index("ix_directory_entries_county", "county_code"),
    )


def _live_row(entry: DirectoryEntry, now: datetime) -> dict[str, Any]:
    county_name = COUNTY_NAMES.get(entry.county_code or "", "")
    words = [
        entry.unit,
        entry.person_name or "",
        entry.role,
        *entry.topics,
        entry.description or "",
        county_name,
    ]
    return {
        "entry_id": str(entry.entry_id),
        "organisation": entry.organisation,
        "county_code": entry.county_code,
        "services": "".join(f",{service}" for service in entry.services) + ",",
        "search_text": "\n".join(word for word in words if word).casefold(),
        "entry": entry.model_dump(mode="json"),
        "removed": False,
        "updated_at": entry.updated_at,
        "stored_at": now,
    }


def _tombstone(
    entry_id: UUID | str, organisation: str, when: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "entry_id": str(entry_id),
        "organisation": organisation,
        "county_code": None,
        "services": ",",
        "search_text": "",
        "entry": None,
        "removed": True,
        "updated_at": when,
        "stored_at": now,
    }


@dataclass(frozen=True)
class _Stored:
    organisation: str
    updated_at: datetime
    removed: bool


async def _stored(
    conn: AsyncConnection, table: Table, ids: Sequence[str], *, lock: bool = False
) -> dict[str, _Stored]:
    if not ids:
        return {}
    query = select(table.c.entry_id, table.c.organisation, table.c.updated_at, table.c.removed)
    query = query.where(table.c.entry_id.in_(ids))
    if lock:
        query = query.with_for_update()
    return {
        row.entry_id: _Stored(row.organisation, as_utc(row.updated_at), row.removed)
        for row in await conn.execute(query)
    }


async def _write(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], existing: set[str]
) -> None:
    """Insert the rows that are new, replace the others (one statement each)."""
    inserts = [row for row in rows if row["entry_id"] not in existing]
    updates = [
        {f"v_{key}": value for key, value in row.items()}
        for row in rows
        if row["entry_id"] in existing
    ]
    if inserts:
        await conn.execute(table.insert(), inserts)
    if updates:
        columns = [column.name for column in table.columns if column.name != "entry_id"]
        await conn.execute(
            update(table)
            .where(table.c.entry_id == bindparam("v_entry_id"))
            .values({name: bindparam(f"v_{name}") for name in columns}),
            updates,
        )


# --------------------------------------------------------------------------- the own part


class NotMaintainedHere(Exception):
    """The entry's organisation is not one this side maintains."""


class OwnedElsewhere(Exception):
    """The entry id is taken by an entry another organisation maintains."""


class EntryNotFound(Exception):
    pass


def _announce(update_: DirectoryUpdate, organisation: str) -> OutboxEntry:
    """The bus message telling the other side of a change to ``organisation``'s part."""
    kind = MessageKind.DIRECTORY_UPDATE
    if organisation == KELA:
        envelope = seal(update_, sender=KELA, recipient=ALL_COUNTIES)
        return OutboxEntry(envelope, KELA_EXCHANGE, KELA_DIRECTORY_KEY)
    county = county_code_of(organisation)
    assert county is not None
    envelope = seal(update_, sender=organisation, recipient=KELA)
    return OutboxEntry(envelope, COUNTY_EXCHANGE, routing_key(kind, county))


async def _retrying_once(engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work(conn)`` in a transaction; once more if a concurrent insert won the race."""
    try:
        async with engine.begin() as conn:
            return await work(conn)
    except exc.IntegrityError:
        async with engine.begin() as conn:
            return await work(conn)


async def put_own_entry(
    engine: AsyncEngine,
    table: Table,
    outbox: Table,
    entry_id: UUID,
    request: DirectoryEntryRequest,
    *,
    editable: frozenset[str],
) -> tuple[DirectoryEntry, bool, bool]:
    """Create or replace one of this side's entries and announce it in the same transaction.

    Returns the entry, whether it was created, and whether anything changed (an identical
    PUT changes nothing and sends nothing). Raises ``NotMaintainedHere`` or ``OwnedElsewhere``.
    """
    if request.organisation not in editable:
        raise NotMaintainedHere(request.organisation)
    postgres = engine.dialect.name == "postgresql"

    async def work(conn: AsyncConnection) -> tuple[DirectoryEntry, bool, bool]:
        key = str(entry_id)
        current = (await _stored(conn, table, [key], lock=postgres)).get(key)
        if current is not None and current.organisation != request.organisation:
            raise OwnedElsewhere(current.organisation)
        now = datetime.now(UTC)
        if current is not None and not current.removed:
            stored = (
                await conn.execute(select(table.c.entry).where(table.c.entry_id == key))
            ).scalar_one()
            previous = DirectoryEntry.model_validate(stored)
            same = previous.model_dump(exclude={"entry_id", "updated_at"})
            if same == request.model_dump():
                return previous, False, False
        changed_at = now
        if current is not None and changed_at <= current.updated_at:  # a clock step back
            changed_at = current.updated_at + timedelta(microseconds=1)
        entry = DirectoryEntry.model_validate(
            {**request.model_dump(), "entry_id": entry_id, "updated_at": changed_at}
        )
        message = DirectoryUpdate(kind="directory_update", entries=(entry,), changed_at=changed_at)
        await _write(conn, table, [_live_row(entry, now)], {key} if current else set())
        await add_to_outbox(conn, outbox, [_announce(message, entry.organisation)])
        return entry, current is None or current.removed, True

    return await _retrying_once(engine, work)


async def remove_own_entry(
    engine: AsyncEngine, table: Table, outbox: Table, entry_id: UUID, *, editable: frozenset[str]
) -> None:
    """Remove one of this side's entries and announce it in the same transaction.

    Raises ``EntryNotFound`` or ``OwnedElsewhere``.
    """
    postgres = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        key = str(entry_id)
        current = (await _stored(conn, table, [key], lock=postgres)).get(key)
        if current is None or current.removed:
            raise EntryNotFound(entry_id)
        if current.organisation not in editable:
            raise OwnedElsewhere(current.organisation)
        now = datetime.now(UTC)
        changed_at = max(now, current.updated_at + timedelta(microseconds=1))
        message = DirectoryUpdate(
            kind="directory_update", removed=(entry_id,), changed_at=changed_at
        )
        await _write(conn, table, [_tombstone(key, current.organisation, changed_at, now)], {key})
        await add_to_outbox(conn, outbox, [_announce(message, current.organisation)])


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class DirectoryQuery:
    county: str | None = None
    service: KelaService | None = None
    organisation: str | None = None
    text: str | None = None
    limit: int = 100
    offset: int = 0


async def search_entries(
    engine: AsyncEngine, table: Table, query: DirectoryQuery
) -> list[DirectoryEntry]:
    """Live entries of both parts, Kela's first, then by county, unit and name.

    ``county`` matches that county's units and Kela's teams for its area, and also Kela's
    national contacts (no area), which serve every county.
    """
    statement = select(table.c.entry).where(table.c.removed.is_(False))
    if query.county is not None:
        national = (table.c.organisation == KELA) & table.c.county_code.is_(None)
        statement = statement.where(or_(table.c.county_code == query.county, national))
    if query.service is not None:
        statement = statement.where(
            table.c.services.contains(f",{query.service.value},", autoescape=True)
        )
    if query.organisation is not None:
        statement = statement.where(table.c.organisation == query.organisation)
    if query.text is not None:
        statement = statement.where(
            table.c.search_text.contains(query.text.casefold(), autoescape=True)
        )
    statement = (
        statement.order_by(
            (table.c.organisation != KELA),
            func.coalesce(table.c.county_code, ""),
            table.c.organisation,
            table.c.search_text,
            table.c.entry_id,
        )
        .limit(query.limit)
        .offset(query.offset)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(statement)).scalars().all()
    return [DirectoryEntry.model_validate(row) for row in rows]


async def get_entry(engine: AsyncEngine, table: Table, entry_id: UUID) -> DirectoryEntry | None:
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                select(table.c.entry).where(
                    table.c.entry_id == str(entry_id), table.c.removed.is_(False)
                )
            )
        ).scalar_one_or_none()
    return None if stored is None else DirectoryEntry.model_validate(stored)


# --------------------------------------------------------------------------- the other part


def directory_receiver(table: Table, *, recipient: str, own: frozenset[str]) -> BatchHandler:
    """The bus handler for the other side's directory updates addressed to ``recipient``.

    Rejected (parked): an update for another recipient, one about a part this side maintains
    itself (``own``: only its API changes that), and one touching an entry that another
    organisation than the sender maintains (``directory.wrong_owner``). Otherwise each entry
    is replaced and each removal applied only if newer than what is stored.
    """

    async def receive(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        rejections: dict[UUID, Rejection] = {}
        updates: list[tuple[Incoming, DirectoryUpdate]] = []
        for message in messages:
            envelope, payload = message.envelope, message.payload
            assert isinstance(payload, DirectoryUpdate)
            if envelope.recipient != recipient:
                rejections[envelope.message_id] = Rejection(
                    "directory.not_for_this_side", f"this side takes updates sent to {recipient}"
                )
            elif envelope.sender in own:
                rejections[envelope.message_id] = Rejection(
                    "directory.own_part", "this side maintains that part itself, over its API"
                )
            else:
                updates.append((message, payload))
        ids = sorted(
            {str(entry.entry_id) for _, payload in updates for entry in payload.entries}
            | {str(entry_id) for _, payload in updates for entry_id in payload.removed}
        )
        stored = await _stored(conn, table, ids)
        existing = set(stored)
        state = dict(stored)
        rows: dict[str, dict[str, Any]] = {}
        now = datetime.now(UTC)
        for message, payload in updates:
            sender = message.envelope.sender
            touched = [str(e.entry_id) for e in payload.entries] + [str(i) for i in payload.removed]
            if any(key in state and state[key].organisation != sender for key in touched):
                rejections[message.envelope.message_id] = Rejection(
                    "directory.wrong_owner",
                    "an entry in this update is maintained by another organisation",
                )
                continue
            for entry in payload.entries:
                key = str(entry.entry_id)
                current = state.get(key)
                if current is None or entry.updated_at > current.updated_at:
                    state[key] = _Stored(sender, entry.updated_at, removed=False)
                    rows[key] = _live_row(entry, now)
            for entry_id in payload.removed:
                key = str(entry_id)
                current = state.get(key)
                if current is None or (
                    not current.removed and payload.changed_at >= current.updated_at
                ):
                    state[key] = _Stored(sender, payload.changed_at, removed=True)
                    rows[key] = _tombstone(key, sender, payload.changed_at, now)
        await _write(conn, table, list(rows.values()), existing)
        return rejections

    return receive


# --------------------------------------------------------------------------- the HTTP API


class DirectoryPage(BaseModel):
    items: list[DirectoryEntry] = Field(
        description="Matching entries of both parts: Kela's teams first, then counties' units."
    )


class ServiceCatalogue(BaseModel):
    items: list[KelaServiceDescription] = Field(
        description="Kela's special services, what each is for and when to refer a client there."
    )


_PUT_EXAMPLES = {
    "kela_team": {
        "summary": "A Kela municipal-cooperation contact",
        "value": examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE,
    }
}


def directory_router(table: Table, outbox: Table, *, editable: frozenset[str]) -> APIRouter:
    """``/v1/directory``: this side edits the entries of ``editable`` organisations and reads
    both parts."""
    router = APIRouter(prefix="/v1/directory", tags=["directory"])
    maintained = ", ".join(sorted(editable))

    @router.get(
        "",
        response_model=DirectoryPage,
        summary="Search the contact directory: both sides' named contacts",
        description=(
            "Kela's teams and the counties' units in one list, this side's own part and the "
            "part received from the other side. `county` also includes Kela's national "
            "contacts (no area); `service` finds who provides (Kela) or is the counterpart for "
            "(county) a Kela special service; `q` searches unit, name, role, topics, "
            "description and county name, case-insensitively."
        ),
        responses=problem_responses(422),
    )
    async def search(
        runtime: RuntimeDep,
        county: Annotated[
            str | None,
            Query(pattern=_COUNTY_PATTERN, description="County code `01`-`21`, Helsinki `90`."),
        ] = None,
        service: Annotated[
            KelaService | None, Query(description="Only entries for this Kela special service.")
        ] = None,
        organisation: Annotated[
            str | None,
            Query(pattern=_ORGANISATION_PATTERN, description="Only `kela` or one `county-NN`."),
        ] = None,
        q: Annotated[
            str | None, Query(min_length=1, max_length=200, description="Text to look for.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Entries to skip.")] = 0,
    ) -> DirectoryPage:
        query = DirectoryQuery(county, service, organisation, q, limit, offset)
        return DirectoryPage(items=await search_entries(runtime.engine, table, query))

    @router.get(
        "/services",
        response_model=ServiceCatalogue,
        summary="Kela's special services: what each is for, when to refer a client there",
    )
    async def services() -> ServiceCatalogue:
        return ServiceCatalogue(items=list(KELA_SERVICE_CATALOGUE.values()))

    @router.get(
        "/entries/{entry_id}",
        response_model=DirectoryEntry,
        summary="One directory entry, of either part",
        responses=problem_responses(404, 422),
    )
    async def read(runtime: RuntimeDep, entry_id: UUID) -> DirectoryEntry:
        entry = await get_entry(runtime.engine, table, entry_id)
        if entry is None:
            raise not_found("directory entry")
        return entry

    @router.put(
        "/entries/{entry_id}",
        response_model=DirectoryEntry,
        summary="Create or replace one of this side's directory entries",
        description=(
            f"This side maintains the entries of: {maintained}. The entry is stored and the "
            "change sent to the other side in one transaction; `201` when created, `200` when "
            "replaced (or unchanged: then nothing is sent)."
        ),
        responses={
            201: {"model": DirectoryEntry, "description": "Created"},
            **problem_responses(409, 422),
        },
    )
    async def put(
        runtime: RuntimeDep,
        principal: PrincipalDep,
        response: Response,
        entry_id: UUID,
        body: Annotated[DirectoryEntryRequest, Body(openapi_examples=_PUT_EXAMPLES)],
    ) -> DirectoryEntry:
        yours = editable & organisations_of(principal)  # a county edits only its own part
        try:
            entry, created, changed = await put_own_entry(
                runtime.engine, table, outbox, entry_id, body, editable=yours
            )
        except NotMaintainedHere:
            raise ProblemError(
                422,
                "directory-not-maintained-here",
                "Not maintained on this side",
                f"this side maintains the entries of: {maintained}",
                [
                    FieldError(
                        field="organisation",
                        rule="directory.not_maintained_here",
                        message=f"organisation must be one of: {maintained}",
                    )
                ],
            ) from None
        except OwnedElsewhere as error:
            raise _owned_elsewhere(str(error)) from None
        if changed:
            runtime.relay.wake()
        if created:
            response.status_code = 201
            response.headers["Location"] = f"/v1/directory/entries/{entry_id}"
        return entry

    @router.delete(
        "/entries/{entry_id}",
        status_code=204,
        summary="Remove one of this side's directory entries",
        description="The removal is sent to the other side in the same transaction.",
        responses=problem_responses(404, 409, 422),
    )
    async def delete(runtime: RuntimeDep, principal: PrincipalDep, entry_id: UUID) -> Response:
        yours = editable & organisations_of(principal)
        try:
            await remove_own_entry(runtime.engine, table, outbox, entry_id, editable=yours)
        except EntryNotFound:
            raise not_found("directory entry") from None
        except OwnedElsewhere as error:
            raise _owned_elsewhere(str(error)) from None
        runtime.relay.wake()
        return Response(status_code=204)

    return router


def _owned_elsewhere(organisation: str) -> ProblemError:
    return ProblemError(
        409,
        "directory-entry-maintained-elsewhere",
        "Maintained by another organisation",
        f"this entry is maintained by {organisation}: only that side changes it",
    )
