"""Kela's officers read the decisions the counties made for a client, per client."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from silta_platform.db import as_utc
from silta_platform.http import MAX_OFFSET, RuntimeDep
from silta_platform.problems import problem_responses
from silta_protection.access_log import ActorDep
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.client_records import rows_of_client, search_client
from silta_schemas.cooperation_examples import DECISION_NOTICE_SEARCH_EXAMPLE
from silta_schemas.decisions import DecisionNoticeSearch, DecisionOutcome, DecisionType
from sqlalchemy import Row

from kela_side.db.tables import DECISION_NOTICE_PAYLOAD, decision_notices
from kela_side.purposes import DECISION_PURPOSE

router = APIRouter(prefix="/v1/decision-notices", tags=["decision notices"])


class DecisionNoticeView(BaseModel):
    """That a decision was made for the client: never its content."""

    id: UUID = Field(description="The notice's id, shared by both sides.")
    county_code: str = Field(description="The county that made the decision.")
    sender: str = Field(description="The sending organisation, `county-NN`.")
    decision_type: DecisionType = Field(description="What was made.")
    decided_on: date = Field(description="The date of the decision or plan.")
    outcome: DecisionOutcome | None = Field(
        description="`granted` or `refused`; null for an activation plan."
    )
    legal_basis: str = Field(description="The legal basis the county stated.")
    received_at: datetime = Field(description="When Kela's side stored the notice.")


class DecisionNoticePage(BaseModel):
    items: list[DecisionNoticeView] = Field(
        description="The client's notices, the latest decision first."
    )


def _view(row: Row[Any], notice: dict[str, Any]) -> DecisionNoticeView:
    return DecisionNoticeView(
        id=UUID(row.notice_id),
        county_code=row.county_code,
        sender=row.sender,
        decision_type=notice["decision_type"],
        decided_on=notice["decided_on"],
        outcome=notice["outcome"],
        legal_basis=notice["legal_basis"],
        received_at=as_utc(row.recorded_at),
    )


_LATEST = [decision_notices.c.decided_on.desc(), decision_notices.c.recorded_at.desc()]
"""A client's notices, the latest decision first."""

_EXAMPLES = {"client": {"summary": "One client's notices", "value": DECISION_NOTICE_SEARCH_EXAMPLE}}


@router.post(
    "/search",
    response_model=DecisionNoticePage,
    summary="One client's supplementary and preventive assistance decisions and activation plans",
    description=(
        "For the officer deciding the client's basic assistance: that the county decided on "
        "supplementary or preventive assistance (granted or refused) or made an activation plan, "
        "and when; never the decision's content. The identity code goes in the body, never in "
        "the URL; every notice read is in the access log."
    ),
    responses=problem_responses(422),
)
async def search_decision_notices(
    runtime: RuntimeDep,
    actor: ActorDep,
    search: Annotated[DecisionNoticeSearch, Body(openapi_examples=_EXAMPLES)],
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> DecisionNoticePage:
    settings = runtime.settings
    key = client_key_of(settings, search.identity_code)
    rows = await search_client(
        runtime.transactions,
        key,
        actor,
        "decision_notice",
        DECISION_PURPOSE,
        lambda conn: rows_of_client(
            conn, decision_notices, key, _LATEST, limit=limit, offset=offset
        ),
    )
    cipher = cipher_of(settings)
    opened = [
        (row, DECISION_NOTICE_PAYLOAD.open(cipher, row.payload, row.notice_id)) for row in rows
    ]
    return DecisionNoticePage(items=[_view(row, notice) for row, notice in opened])
