"""``POST /v1/access-log/search``: a client's access request, and the caller as an actor."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field
from silta_platform.authorisation import Principal, PrincipalDep, visible_counties
from silta_platform.db import as_utc
from silta_platform.http import MAX_OFFSET, RuntimeDep
from silta_platform.problems import problem_responses
from silta_schemas.identity import IdentityCode
from sqlalchemy import ColumnElement, false, select, true

from silta_protection.access_log.entry import UNAUTHENTICATED, Access, Actor, actor_of
from silta_protection.access_log.table import AccessLogTables
from silta_protection.encryption import client_key_of


async def current_actor(request: Request) -> Actor:
    """The caller, as authentication middleware left it in ``request.state.principal``;
    ``UNAUTHENTICATED`` when nothing did."""
    principal = getattr(request.state, "principal", None)
    return UNAUTHENTICATED if principal is None else actor_of(principal)


ActorDep = Annotated[Actor, Depends(current_actor)]


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


def _scope(
    tables: AccessLogTables, principal: Principal, counties: Collection[str] | None
) -> ColumnElement[bool]:
    """The entries ``principal`` may see: on Kela's side (``counties`` None) Kela's own log, to
    Kela's staff; on a county's side only the entries of the served counties the caller
    serves (an entry of no county is nobody's)."""
    if counties is None:
        return true() if principal.organisation == "kela" else false()
    return tables.entries.c.county.in_(sorted(visible_counties(principal, counties)))


def _own_county(principal: Principal) -> str | None:
    """The county of the caller's own organisation (``county-NN``), None for Kela."""
    organisation = principal.organisation
    return organisation.removeprefix("county-") if organisation.startswith("county-") else None


def access_log_router(
    tables: AccessLogTables, *, counties: Collection[str] | None = None
) -> APIRouter:
    """``POST /v1/access-log/search``: who has handled one client's data, and when (GDPR
    Art. 15; Act on Client Data in Social and Health Care 703/2023). ``counties``: the
    counties a county's deployment serves (None on Kela's side); each answer is scoped to the
    caller's organisation and counties."""
    router = APIRouter(prefix="/v1/access-log", tags=["access log"])

    @router.post(
        "/search",
        response_model=AccessReport,
        summary="Who has handled one client's personal data, and when",
        description="Entries found by the keyed hash of the identity code given in the body, "
        "only those of the caller's organisation (on a county's side: of the counties the "
        "caller serves). The search itself is logged too.",
        responses=problem_responses(422),
    )
    async def search(
        runtime: RuntimeDep,
        actor: ActorDep,
        principal: PrincipalDep,
        request: Annotated[AccessRequest, Body()],
        limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 200,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Entries to skip.")] = 0,
    ) -> AccessReport:
        key = client_key_of(runtime.settings, request.identity_code)
        entries = tables.entries
        async with runtime.transactions.begin() as work:
            rows = (
                await work.conn.execute(
                    select(entries)
                    .where(entries.c.client_key == key, _scope(tables, principal, counties))
                    .order_by(entries.c.seq.desc())
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            work.account(
                Access(
                    actor,
                    "access_request",
                    "client",
                    None,
                    key,
                    ACCESS_REQUEST_PURPOSE,
                    county=None if counties is None else _own_county(principal),
                )
            )
        return AccessReport(
            items=[
                AccessEntryView.model_validate(dict(row._mapping) | {"at": as_utc(row.at)})
                for row in rows
            ]
        )

    return router
