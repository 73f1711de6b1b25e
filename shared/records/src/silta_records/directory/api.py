"""``/v1/directory``: search both parts, edit this side's own."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field
from silta_platform.authorisation import PrincipalDep, organisations_of
from silta_platform.http import MAX_OFFSET, RuntimeDep, read_one
from silta_platform.problems import FieldError, ProblemError, problem_responses
from silta_schemas import examples
from silta_schemas.directory import (
    KELA_SERVICE_CATALOGUE,
    DirectoryEntry,
    DirectoryEntryRequest,
    KelaService,
    KelaServiceDescription,
)
from silta_schemas.errors import NotFound, RuleRefused
from sqlalchemy import Table

from silta_records.directory.own_part import put_own_entry, remove_own_entry
from silta_records.directory.store import DirectoryQuery, get_entry, search_entries

_COUNTY_PATTERN = r"^(0[1-9]|1[0-9]|2[01]|90)$"
_ORGANISATION_PATTERN = r"^(kela|county-(0[1-9]|1[0-9]|2[01]|90))$"


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


def directory_router(table: Table, *, editable: frozenset[str]) -> APIRouter:
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
        async with runtime.long_reads.connect() as conn:
            return DirectoryPage(items=await search_entries(conn, table, query))

    @router.get(
        "/services",
        response_model=ServiceCatalogue,
        summary="Kela's special services: what each is for, when to refer a client there",
    )
    async def services() -> ServiceCatalogue:
        return ServiceCatalogue(items=list(KELA_SERVICE_CATALOGUE.values()))

    @read_one(router, "/entries/{entry_id}", DirectoryEntry, "One directory entry, of either part")
    async def read(runtime: RuntimeDep, entry_id: UUID) -> DirectoryEntry:
        async with runtime.engine.connect() as conn:
            entry = await get_entry(conn, table, entry_id)
        if entry is None:
            raise NotFound("directory entry")
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
            entry, created, _changed = await put_own_entry(
                runtime.transactions, table, entry_id, body, editable=yours
            )
        except RuleRefused as refused:
            raise _problem(refused, maintained) from None
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
            await remove_own_entry(runtime.transactions, table, entry_id, editable=yours)
        except RuleRefused as refused:
            raise _problem(refused, maintained) from None
        return Response(status_code=204)

    return router


def _problem(refused: RuleRefused, maintained: str) -> ProblemError:
    """The directory's own answers to its two rules."""
    if refused.rule == "directory.not_maintained_here":
        return ProblemError(
            422,
            "directory-not-maintained-here",
            "Not maintained on this side",
            f"this side maintains the entries of: {maintained}",
            [
                FieldError(
                    field="organisation",
                    rule=refused.rule,
                    message=f"organisation must be one of: {maintained}",
                )
            ],
        )
    return ProblemError(
        409,
        "directory-entry-maintained-elsewhere",
        "Maintained by another organisation",
        refused.detail,
    )
