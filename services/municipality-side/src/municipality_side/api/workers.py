"""The responsible worker (vastuutyöntekijä) of a referral the county works on."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, Field
from silta_platform.http import RuntimeDep
from silta_platform.problems import (
    FieldError,
    ProblemError,
    not_found,
    problem_responses,
)
from silta_records.responsible_workers import NamingView, naming_view
from silta_schemas import examples
from silta_schemas.workers import ResponsibleWorkerRequest

from municipality_side import workers as service
from municipality_side.api.scope import VisibleCounties
from municipality_side.domain.statements import WORKING_STATUSES, Refused

router = APIRouter(prefix="/v1/referrals", tags=["responsible worker"])


class ResponsibleWorkers(BaseModel):
    referral_id: UUID = Field(description="The referral.")
    current: NamingView | None = Field(description="The responsible worker named last, if any.")
    history: list[NamingView] = Field(description="Every naming, oldest first.")


def _view(referral_id: UUID, namings: service.Namings) -> ResponsibleWorkers:
    history = [naming_view(naming) for naming in namings.history]
    return ResponsibleWorkers(
        referral_id=referral_id, current=history[-1] if history else None, history=history
    )


def _not_found() -> ProblemError:
    return not_found("referral")


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
    namings = await service.get_namings(runtime.engine, referral_id)
    if namings is None or namings.county_code not in counties:
        raise _not_found()
    try:
        namings, first, changed = await service.name_responsible_worker(
            runtime.engine, referral_id, body
        )
    except service.ReferralNotFound:
        raise _not_found() from None
    except Refused as refused:
        status = 409 if refused.field == "status" else 422
        slug = "responsible-worker-not-allowed" if status == 409 else "validation"
        title = "Responsible worker not allowed now" if status == 409 else "Invalid reference"
        raise ProblemError(
            status,
            slug,
            title,
            refused.message,
            [FieldError(field=refused.field, rule=refused.rule, message=refused.message)],
        ) from None
    if changed:
        runtime.relay.wake()
    if first:
        response.status_code = 201
    return _view(referral_id, namings)


@router.get(
    "/{referral_id}/responsible-worker",
    response_model=ResponsibleWorkers,
    summary="The referral's responsible worker and every earlier naming",
    responses=problem_responses(404, 422),
)
async def read_responsible_worker(
    runtime: RuntimeDep, counties: VisibleCounties, referral_id: UUID
) -> ResponsibleWorkers:
    namings = await service.get_namings(runtime.engine, referral_id)
    if namings is None or namings.county_code not in counties:
        raise _not_found()
    return _view(referral_id, namings)
