"""The counties' statements of social work to Kela: send one, follow Kela's receipt."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field
from silta_platform.http import (
    MAX_OFFSET,
    RuntimeDep,
    answer_created,
    idempotency_key_header,
    read_list,
    read_one,
)
from silta_platform.problems import idempotency_key_reused, problem_responses
from silta_protection.access_log import ActorDep
from silta_schemas import examples
from silta_schemas.idempotency import IdempotencyKeyReused
from silta_schemas.statements import Statement, StatementRequest, StatementTopic

from municipality_side import queries
from municipality_side.api.scope import VisibleCounties, settings_of
from municipality_side.commands import SendStatement
from municipality_side.records import StatementRecord

router = APIRouter(prefix="/v1/statements", tags=["statements"])


class StatementSummary(BaseModel):
    """A statement's tracking record: no personal data."""

    id: UUID = Field(description="The statement's id, shared by both sides.")
    county_code: str = Field(description="The county that gave the statement.")
    referral_id: UUID | None = Field(description="The referral it concerns, if any.")
    topics: list[StatementTopic] = Field(description="What the statement is about.")
    made_at: datetime = Field(description="When the social worker made it.")
    sent_at: datetime = Field(description="When this side stored it and queued it for Kela.")
    received_by_kela_at: datetime | None = Field(
        description="When Kela's side stored it (Kela's receipt); null until the receipt arrives."
    )
    received_by_kela: bool = Field(description="Whether Kela has acknowledged receipt.")


class StatementView(StatementSummary):
    statement: Statement = Field(description="The statement as sent to Kela.")


class StatementPage(BaseModel):
    items: list[StatementSummary]


def _summary(record: StatementRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "county_code": record.county_code,
        "referral_id": record.referral_id,
        "topics": record.topics,
        "made_at": record.made_at,
        "sent_at": record.sent_at,
        "received_by_kela_at": record.received_by_kela_at,
        "received_by_kela": record.received_by_kela_at is not None,
    }


_EXAMPLES = {
    "statement": {
        "summary": "A statement on a move and the decision period",
        "value": examples.STATEMENT_REQUEST_EXAMPLE,
    }
}


@router.post(
    "",
    status_code=201,
    response_model=StatementSummary,
    summary="Send a statement of social work to Kela",
    description=(
        "A social worker's statement on a client's basic social assistance (Act on Social "
        "Assistance 1412/1997 §18), about a client rather than a referral: `referral_id` is "
        "null, or a referral Kela sent to `county_code`. `county_code` must be one this "
        "deployment serves. Stored with its outbox message in one transaction (`201`, also "
        "while the broker is down); Kela acknowledges receipt, shown in `received_by_kela_at`. "
        "With an `Idempotency-Key`, repeating the request returns the same statement (`200`)."
    ),
    responses={
        200: {
            "model": StatementSummary,
            "description": "Replay of an earlier request with the same Idempotency-Key",
        },
        **problem_responses(422),
    },
)
async def send_statement(
    runtime: RuntimeDep,
    actor: ActorDep,
    counties: VisibleCounties,
    response: Response,
    statement: Annotated[StatementRequest, Body(openapi_examples=_EXAMPLES)],
    idempotency_key: Annotated[str | None, idempotency_key_header("statement")] = None,
) -> StatementSummary:
    try:
        sent = await runtime.commands.handle(
            SendStatement(statement, counties, idempotency_key, actor)
        )
    except IdempotencyKeyReused:
        raise idempotency_key_reused() from None
    answer_created(response, f"/v1/statements/{sent.statement.id}", created=sent.created)
    return StatementSummary(**_summary(sent.statement))


@read_list(
    router, StatementPage, "Statements sent by the counties served, newest first (no personal data)"
)
async def list_statements(
    runtime: RuntimeDep,
    counties: VisibleCounties,
    received_by_kela: Annotated[
        bool | None, Query(description="Only those Kela has (true) or has not (false) received.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> StatementPage:
    page = (limit, offset)
    records = await queries.list_statements(
        runtime.long_reads, runtime.settings, counties, received_by_kela, page
    )
    return StatementPage(items=[StatementSummary(**_summary(record)) for record in records])


@read_one(
    router,
    "/{statement_id}",
    StatementView,
    "A statement as sent, and whether Kela has acknowledged receipt",
)
async def read_statement(
    runtime: RuntimeDep, actor: ActorDep, counties: VisibleCounties, statement_id: UUID
) -> StatementView:
    record = await queries.get_statement(
        runtime.transactions, settings_of(runtime), statement_id, actor, counties
    )
    return StatementView(**_summary(record), statement=record.statement)
