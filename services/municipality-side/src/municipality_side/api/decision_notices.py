"""The counties tell Kela of supplementary and preventive assistance decisions and activation
plans: that one was made, when, and whether it granted or refused, never its content."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field
from silta_platform import http
from silta_platform.db import as_utc
from silta_platform.http import MAX_OFFSET, RuntimeDep
from silta_platform.problems import idempotency_key_reused, problem_responses
from silta_protection.access_log import Access, ActorDep
from silta_protection.encryption import cipher_of
from silta_records.client_records import read_logged, row_by_id
from silta_records.decision_notices import of_counties
from silta_schemas.cooperation_examples import DECISION_NOTICE_REQUEST_EXAMPLE
from silta_schemas.decisions import DecisionNotice, DecisionNoticeRequest
from silta_schemas.errors import NotFound
from silta_schemas.idempotency import IdempotencyKeyReused
from sqlalchemy import Row

from municipality_side.api.scope import VisibleCounties
from municipality_side.commands import SendDecisionNotice
from municipality_side.db.tables import DECISION_NOTICE_PAYLOAD, decision_notices
from municipality_side.purposes import DECISION_NOTICE_PURPOSE

router = APIRouter(prefix="/v1/decision-notices", tags=["decision notices"])


class DecisionNoticeSummary(BaseModel):
    """A notice's tracking record: no personal data."""

    id: UUID = Field(description="The notice's id, shared by both sides.")
    county_code: str = Field(description="The county that made the decision.")
    sent_at: datetime = Field(description="When this side stored it and queued it for Kela.")
    received_by_kela_at: datetime | None = Field(
        default=None, description="When Kela's side stored it (Kela's receipt); null until then."
    )


class DecisionNoticeView(DecisionNoticeSummary):
    notice: DecisionNotice = Field(description="The notice as sent to Kela.")


class DecisionNoticePage(BaseModel):
    items: list[DecisionNoticeSummary]


def _tracking(row: Row[Any]) -> dict[str, Any]:
    acknowledged = row.acknowledged_at
    return {
        "id": UUID(row.notice_id),
        "county_code": row.county_code,
        "sent_at": as_utc(row.recorded_at),
        "received_by_kela_at": None if acknowledged is None else as_utc(acknowledged),
    }


_EXAMPLES = {
    "granted": {
        "summary": "Supplementary assistance granted",
        "value": DECISION_NOTICE_REQUEST_EXAMPLE,
    },
    "plan": {
        "summary": "An activation plan made",
        "value": DECISION_NOTICE_REQUEST_EXAMPLE
        | {"decision_type": "activation_plan", "outcome": None},
    },
}


@router.post(
    "",
    status_code=201,
    response_model=DecisionNoticeSummary,
    summary="Tell Kela that a decision or an activation plan was made for a client",
    description=(
        "That a supplementary or preventive social assistance decision (`outcome`: granted or "
        "refused) or an activation plan (no `outcome`) was made for a client, and its date: "
        "never its content. Sent under the legal basis this deployment is configured with "
        "(`MUNICIPALITY_SIDE_DECISION_NOTICE_LEGAL_BASIS`). `county_code` must be one this "
        "deployment serves. With an `Idempotency-Key`, repeating the request returns the same "
        "notice (`200`)."
    ),
    responses={
        200: {"model": DecisionNoticeSummary, "description": "Replay of an earlier request"},
        **problem_responses(422),
    },
)
async def send_decision_notice(
    runtime: RuntimeDep,
    actor: ActorDep,
    counties: VisibleCounties,
    response: Response,
    notice: Annotated[DecisionNoticeRequest, Body(openapi_examples=_EXAMPLES)],
    idempotency_key: Annotated[str | None, http.idempotency_key_header("decision notice")] = None,
) -> DecisionNoticeSummary:
    try:
        record, created = await runtime.commands.handle(
            SendDecisionNotice(notice, counties, idempotency_key, actor)
        )
    except IdempotencyKeyReused:
        raise idempotency_key_reused() from None
    http.answer_created(response, f"/v1/decision-notices/{record.id}", created=created)
    return DecisionNoticeSummary(
        id=record.id, county_code=record.county_code, sent_at=record.sent_at
    )


@http.read_list(
    router, DecisionNoticePage, "Decision notices the counties served sent, newest first"
)
async def list_decision_notices(
    runtime: RuntimeDep,
    counties: VisibleCounties,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> DecisionNoticePage:
    async with runtime.long_reads.connect() as conn:
        rows = await of_counties(conn, decision_notices, counties, limit, offset)
    return DecisionNoticePage(items=[DecisionNoticeSummary(**_tracking(row)) for row in rows])


@http.read_one(router, "/{notice_id}", DecisionNoticeView, "A decision notice as sent")
async def read_decision_notice(
    runtime: RuntimeDep, actor: ActorDep, counties: VisibleCounties, notice_id: UUID
) -> DecisionNoticeView:
    table = decision_notices
    async with runtime.engine.connect() as conn:
        # Whose it is reads nothing personal: another county's notice is not read at all.
        found = await row_by_id(conn, table, notice_id)
    if found is None or found.county_code not in counties:
        raise NotFound("decision notice")
    row = await read_logged(
        runtime.transactions,
        lambda conn: row_by_id(conn, table, notice_id),
        lambda row: Access(
            actor,
            "read",
            "decision_notice",
            row.notice_id,
            row.client_key,
            DECISION_NOTICE_PURPOSE,
            county=row.county_code,
        ),
    )
    assert row is not None  # a notice is never deleted
    notice = DECISION_NOTICE_PAYLOAD.open(cipher_of(runtime.settings), row.payload, row.notice_id)
    return DecisionNoticeView(
        **_tracking(row),
        notice=DecisionNotice.model_validate(notice),
    )
