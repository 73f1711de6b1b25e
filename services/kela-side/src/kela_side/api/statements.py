"""Kela's officers read the counties' statements of social work, per client."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from silta_platform.http import MAX_OFFSET, RuntimeDep, read_one
from silta_platform.problems import problem_responses
from silta_protection.access_log import ActorDep
from silta_schemas import examples
from silta_schemas.statements import Statement, StatementSearch

from kela_side import queries
from kela_side.records import StatementRecord
from kela_side.settings import KelaSettings

router = APIRouter(prefix="/v1/statements", tags=["statements"])


class StatementView(BaseModel):
    id: UUID = Field(description="The statement's id, shared by both sides.")
    county_code: str = Field(description="The county that gave the statement.")
    sender: str = Field(description="The sending organisation, `county-NN`.")
    referral_id: UUID | None = Field(description="The referral it concerns, if any.")
    made_at: datetime = Field(description="When the social worker made it.")
    received_at: datetime = Field(description="When Kela's side stored it (and sent its receipt).")
    statement: Statement = Field(description="The statement as the county sent it.")


class StatementPage(BaseModel):
    items: list[StatementView] = Field(description="The client's statements, newest first.")


def _view(record: StatementRecord) -> StatementView:
    return StatementView.model_validate(record, from_attributes=True)


_EXAMPLES = {
    "client": {"summary": "One client's statements", "value": examples.STATEMENT_SEARCH_EXAMPLE}
}


@router.post(
    "/search",
    response_model=StatementPage,
    summary="One client's statements of social work, newest first",
    description=(
        "For the officer deciding the client's application (Act on Social Assistance "
        "1412/1997 §18). The identity code goes in the body, never in the URL: URLs end up in "
        "access logs. Statements are found by a keyed hash of the code."
    ),
    responses=problem_responses(422),
)
async def search_statements(
    runtime: RuntimeDep,
    actor: ActorDep,
    search: Annotated[StatementSearch, Body(openapi_examples=_EXAMPLES)],
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> StatementPage:
    settings = runtime.settings
    assert isinstance(settings, KelaSettings)
    records = await queries.search_statements(
        runtime.transactions, settings, search.identity_code, actor, limit=limit, offset=offset
    )
    return StatementPage(items=[_view(record) for record in records])


@read_one(router, "/{statement_id}", StatementView, "One statement of social work")
async def read_statement(runtime: RuntimeDep, actor: ActorDep, statement_id: UUID) -> StatementView:
    settings = runtime.settings
    assert isinstance(settings, KelaSettings)
    return _view(await queries.get_statement(runtime.transactions, settings, statement_id, actor))
