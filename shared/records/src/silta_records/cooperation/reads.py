"""The read side of a replicated record, the same on both sides: list (tracking data only),
one record, and one client's records found by the identity code in the body.

Kela sees every county's records; a county's user only those of their counties (anything
else is ``404``). Every read of a record's content goes to the access log.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field, create_model
from silta_platform.authorisation import PrincipalDep, visible_counties
from silta_platform.db import as_utc
from silta_platform.http import MAX_OFFSET, RuntimeDep, read_one
from silta_platform.problems import problem_responses
from silta_protection.access_log import Access, Actor, ActorDep
from silta_protection.encryption import cipher_of, client_key_of
from silta_schemas.errors import NotFound
from silta_schemas.identity import IdentityCode
from sqlalchemy import ColumnElement, Row, select

from silta_records.cooperation.snapshots import SnapshotKind


class RecordSummary(BaseModel):
    """What every replicated record's list entry shows: nothing personal."""

    id: UUID = Field(description="The record's id, shared by both sides.")
    county_code: str = Field(description="The client's county.")
    recorded_at: datetime = Field(description="When Kela recorded the last change.")


def record_fields(row: Any, dates: Iterable[str]) -> dict[str, Any]:
    """A row's ``RecordSummary`` fields, its last action and its ``dates``."""
    own = {column: getattr(row, column) for column in dates}
    common = {"id": UUID(row.id), "county_code": row.county_code, "action": row.action}
    return common | own | {"recorded_at": as_utc(row.recorded_at)}


class ClientSearch(BaseModel):
    """One client's records: the identity code in the body, never in a URL (URLs end up in
    access logs)."""

    model_config = {"extra": "forbid"}

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )


@dataclass(frozen=True)
class ReadSide:
    """How a side shows one replicated kind."""

    kind: SnapshotKind[Any]
    prefix: str
    tag: str
    purpose: str
    """Why the side reads a record (the access log's purpose)."""
    summary: type[BaseModel]
    detail: type[BaseModel]
    summarise: Callable[[Row[Any]], BaseModel]
    """A list entry, from the plain columns only."""
    describe: Callable[[Row[Any], Any], BaseModel]
    """The record in full, from its row and its opened snapshot."""
    filters: Callable[..., list[ColumnElement[bool]]]
    """A FastAPI dependency: the list's query filters as SQL conditions."""
    order: Callable[[], Sequence[Any]]
    words: str
    """What the records are, in a summary line: ``case-manager periods``."""


def read_router(side: ReadSide, *, counties: Collection[str] | None) -> APIRouter:
    """``GET prefix``, ``GET prefix/{id}`` and ``POST prefix/search`` for ``side.kind``;
    ``counties`` are those a county deployment serves (None: Kela's side, all counties)."""
    router = APIRouter(prefix=side.prefix, tags=[side.tag])
    kind, table = side.kind, side.kind.table

    def scope(principal: PrincipalDep) -> frozenset[str] | None:
        return None if counties is None else visible_counties(principal, counties)

    Scope = Annotated[frozenset[str] | None, Depends(scope)]
    Filters = Annotated[list[ColumnElement[bool]], Depends(side.filters)]

    Page = create_model(
        f"{side.summary.__name__}Page",
        items=(list[side.summary], Field(description="Tracking data only: nothing personal.")),  # type: ignore[name-defined]
    )
    Found = create_model(
        f"{side.detail.__name__}Found",
        items=(list[side.detail], Field(description="The client's records, newest first.")),  # type: ignore[name-defined]
    )

    @router.get(
        "",
        response_model=Page,
        summary=f"List {side.words} (no personal data)",
        responses=problem_responses(422),
    )
    async def list_records(
        runtime: RuntimeDep,
        visible: Scope,
        filters: Filters,
        limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
    ) -> Any:
        query = select(table).where(*filters)
        if visible is not None:
            query = query.where(table.c.county_code.in_(sorted(visible)))
        query = query.order_by(*side.order(), table.c.id).limit(limit).offset(offset)
        async with runtime.long_reads.connect() as conn:
            rows = (await conn.execute(query)).all()
        return Page(items=[side.summarise(row) for row in rows])

    def read(actor: Actor) -> Callable[[Row[Any]], Access]:
        def entry(row: Row[Any]) -> Access:
            return Access(
                actor,
                "read",
                kind.resource,
                row.id,
                row.client_key,
                side.purpose,
                county=row.county_code,
            )

        return entry

    @router.post(
        "/search",
        response_model=Found,
        summary=f"One client's {side.words}, newest first",
        description="The identity code goes in the body, never in the URL. Each record read "
        "(or the empty search) goes to the access log.",
        responses=problem_responses(422),
    )
    async def search_records(
        runtime: RuntimeDep,
        actor: ActorDep,
        visible: Scope,
        search: Annotated[ClientSearch, Body()],
    ) -> Any:
        key, read_of = client_key_of(runtime.settings, search.identity_code), read(actor)
        async with runtime.transactions.begin() as work:
            rows = await kind.of_client(work.conn, key, visible)
            county = None if visible is None or len(visible) != 1 else next(iter(visible))
            work.account(
                *[read_of(row) for row in rows]
                or [Access(actor, "search", kind.resource, None, key, side.purpose, county=county)]
            )
        cipher = cipher_of(runtime.settings)
        return Found(items=[side.describe(row, kind.open(row, cipher)) for row in rows])

    @read_one(router, "/{record_id}", side.detail, f"One of the {side.words}, in full")
    async def read_record(
        runtime: RuntimeDep, actor: ActorDep, visible: Scope, record_id: UUID
    ) -> Any:
        read_of = read(actor)
        async with runtime.transactions.begin() as work:
            row = await kind.load(work.conn, record_id)
            if row is None or (visible is not None and row.county_code not in visible):
                raise NotFound(kind.resource.replace("_", " "))
            work.account(read_of(row))
        return side.describe(row, kind.open(row, cipher_of(runtime.settings)))

    return router
