"""The responsible worker (vastuutyöntekijä) of a referral the county works on."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, Field
from silta_platform.http import RuntimeDep, read_one
from silta_platform.problems import FieldError, ProblemError, problem_responses
from silta_records.responsible_workers import NamingView, naming_view
from silta_schemas import examples
from silta_schemas.errors import RuleRefused
from silta_schemas.workers import ResponsibleWorkerRequest

from municipality_side import queries
from municipality_side.api.scope import VisibleCounties
from municipality_side.commands import NameResponsibleWorker
from municipality_side.domain.workers import NOT_IN_WORK, WORKING_STATUSES
from municipality_side.records import Namings

router = APIRouter(prefix="/v1/referrals", tags=["responsible worker"])


class ResponsibleWorkers(BaseModel):
    referral_id: UUID = Field(description="The referral.")
    current: NamingView | None = Field(description="The responsible worker named last, if any.")
    history: list[NamingView] = Field(description="Every naming, oldest first.")


def _view(referral_id: UUID, namings: Namings) -> ResponsibleWorkers:
    history = [naming_view(naming) for naming in namings.history]
    return ResponsibleWorkers(
        referral_id=referral_id, current=history[-1] if history else None, history=history
    )


def refusal(refused: RuleRefused, conflict: str, kind: str, title: str) -> ProblemError:
    """409 (``kind``, ``title``) when the referral's status refuses it (rule ``conflict``),
    422 for the directory entry named."""
    field = refused.field or "body"
    errors = [FieldError(field=field, rule=refused.rule, message=refused.detail)]
    if refused.rule == conflict:
        return ProblemError(409, kind, title, refused.detail, errors)
    return ProblemError(422, "validation", "Invalid reference", refused.detail, errors)


def _refused(refused: RuleRefused) -> ProblemError:
    title = "Responsible worker not allowed now"
    return refusal(refused, NOT_IN_WORK, "responsible-worker-not-allowed", title)


_EXAMPLES = {
    "worker": {
        "summary": "A social worker named responsible",
        "value": examples.RESPONSIBLE_WORKER_REQUEST_EXAMPLE,
    }
}
_WORKING = " or ".join(sorted(status.value for status in WORKING_STATUSES))


@router.put(
    "/{referral_id}/responsible-worker",
    response_model=ResponsibleWorkers,
    summary="Name the referral's responsible worker, or change them; Kela is told at once",
    description=(
        f"Only while the county works on the referral ({_WORKING}); otherwise `409` naming the "
        "rule. Work contact only. `directory_entry_id`, if given, must be a live entry of the "
        "referral's county in the contact directory (`422` naming the rule). `201` when the "
        "first worker is named, `200` when changed (every naming is kept) or when the same "
        "worker is named again (then nothing is sent)."
    ),
    responses={
        201: {"model": ResponsibleWorkers, "description": "The first responsible worker named"},
        **problem_responses(404, 409, 422),
    },
)
async def put_responsible_worker(
    runtime: RuntimeDep,
    counties: VisibleCounties,
    response: Response,
    referral_id: UUID,
    body: Annotated[ResponsibleWorkerRequest, Body(openapi_examples=_EXAMPLES)],
) -> ResponsibleWorkers:
    try:
        named = await runtime.commands.handle(NameResponsibleWorker(referral_id, body, counties))
    except RuleRefused as refused:
        raise _refused(refused) from None
    if named.first:
        response.status_code = 201
    return _view(referral_id, named.namings)


@read_one(
    router,
    "/{referral_id}/responsible-worker",
    ResponsibleWorkers,
    "The referral's responsible worker and every earlier naming",
)
async def read_responsible_worker(
    runtime: RuntimeDep, counties: VisibleCounties, referral_id: UUID
) -> ResponsibleWorkers:
    return _view(referral_id, await queries.get_namings(runtime.engine, referral_id, counties))
