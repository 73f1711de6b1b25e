"""Worklists: the county assigns a referral to one of its workers, reassigns it, and lists
what is assigned to the caller (``GET /v1/referrals?assigned_to=me``) or to nobody
(``?unassigned=true``, in ``api.referrals``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, Field
from silta_platform.http import RuntimeDep, read_one
from silta_platform.problems import problem_responses
from silta_schemas.errors import NotFound, RuleRefused
from silta_schemas.text import ShortText

from municipality_side.api.scope import VisibleCounties
from municipality_side.api.workers import refusal
from municipality_side.commands import AssignReferral
from municipality_side.db import referral_repository
from municipality_side.domain.worklists import CLOSED
from municipality_side.records import Assignment

router = APIRouter(prefix="/v1/referrals", tags=["worklists"])


class AssignmentRequest(BaseModel):
    model_config = {"extra": "forbid"}

    worker_id: ShortText = Field(
        description="The worker, as the county's identity provider names them: the `sub` of "
        "their token (what `?assigned_to=me` matches)."
    )
    directory_entry_id: UUID | None = Field(
        None,
        description="The worker's entry in the county's part of the contact directory, if any: "
        "a live entry of the referral's county (a worker of its own unit).",
    )


class AssignmentView(BaseModel):
    referral_id: UUID = Field(description="The referral.")
    assigned_to: str | None = Field(
        description="The worker it is assigned to; null: nobody.", examples=[None, "sanna"]
    )
    assigned_at: datetime | None = Field(description="Since when; null: nobody has it.")
    directory_entry_id: UUID | None = Field(description="The worker's directory entry, if any.")


def _view(assignment: Assignment) -> AssignmentView:
    return AssignmentView(
        referral_id=assignment.referral_id,
        assigned_to=assignment.assigned_to,
        assigned_at=assignment.assigned_at,
        directory_entry_id=assignment.directory_entry_id,
    )


_EXAMPLES = {
    "worker": {
        "summary": "Assigned to a social worker of the unit",
        "value": {"worker_id": "sanna.sosiaalityontekija", "directory_entry_id": None},
    }
}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"model": AssignmentView, "description": "Assigned; it had nobody"},
    **problem_responses(404, 409, 422),
}


@router.put(
    "/{referral_id}/assignee",
    response_model=AssignmentView,
    summary="Assign the referral to a worker of the county, or reassign it",
    description="`201` when it had nobody, `200` when reassigned (or the same worker again). "
    "Only an open referral (`409` naming the rule); a `directory_entry_id` must be a live "
    "entry of the referral's county (`422`). Nothing is sent to Kela.",
    responses=_RESPONSES,
)
async def put_assignee(
    runtime: RuntimeDep,
    counties: VisibleCounties,
    response: Response,
    referral_id: UUID,
    body: Annotated[AssignmentRequest, Body(openapi_examples=_EXAMPLES)],
) -> AssignmentView:
    command = AssignReferral(referral_id, body.worker_id, body.directory_entry_id, counties)
    try:
        assignment = await runtime.commands.handle(command)
    except RuleRefused as refused:
        raise refusal(refused, CLOSED, "assignment-not-allowed", "Not assignable") from None
    if assignment.first:
        response.status_code = 201
    return _view(assignment)


@read_one(router, "/{referral_id}/assignee", AssignmentView, "Whom the referral is assigned to")
async def read_assignee(
    runtime: RuntimeDep, counties: VisibleCounties, referral_id: UUID
) -> AssignmentView:
    async with runtime.engine.connect() as conn:
        if await referral_repository.county_of(conn, referral_id) not in counties:
            raise NotFound("referral")
        return _view(await referral_repository.assignment(conn, referral_id))
