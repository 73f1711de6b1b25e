"""Kela names a client's case manager (asiakkuusvastaava) for a period, changes or ends it;
the client's county is told each time. Reading them: ``silta_records.cooperation.reads``."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses
from silta_protection.access_log import ActorDep
from silta_records.cooperation.case_managers import PeriodSummary, period_summary
from silta_schemas import cooperation_examples as examples
from silta_schemas.cooperation import (
    CaseManagerChangeRequest,
    CaseManagerEndRequest,
    CaseManagerPeriodRequest,
)

from kela_side.api.recorded import handled as handled_with
from kela_side.api.recorded import stored_row
from kela_side.commands import ChangeCaseManager, EndCaseManagerPeriod, NameCaseManager
from kela_side.domain.case_managers import CONFLICTS
from kela_side.records import Recorded

router = APIRouter(prefix="/v1/case-manager-periods", tags=["case managers"])


def summary_of(recorded: Recorded) -> PeriodSummary:
    return period_summary(stored_row(recorded))


async def handled(runtime: RuntimeDep, command: Any) -> Recorded:
    return await handled_with(runtime, command, CONFLICTS)


_NAME = {
    "named": {
        "summary": "A case manager for six months",
        "value": examples.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE,
    }
}
_CHANGE = {
    "end_date": {"summary": "A later end date", "value": examples.CASE_MANAGER_CHANGE_EXAMPLE}
}
_END = {"early": {"summary": "Ended early", "value": examples.CASE_MANAGER_END_EXAMPLE}}


@router.post(
    "",
    status_code=201,
    response_model=PeriodSummary,
    summary="Name a client's case manager for a period; the client's county is told",
    description=(
        "On the client's consent. Kela's side routes by `client.municipality_code` and sends "
        "the county only its code, the identity code, the consent, the case manager's work "
        "contact and the dates (`case_manager_period`, action `named`). A client has one case "
        "manager at a time: a period sharing a day with another is `409` "
        "(`case_manager.overlapping_period`). The period ends by itself after `ends_on`."
    ),
    responses=problem_responses(409, 422),
)
async def name_case_manager(
    runtime: RuntimeDep,
    actor: ActorDep,
    response: Response,
    body: Annotated[CaseManagerPeriodRequest, Body(openapi_examples=_NAME)],
) -> PeriodSummary:
    recorded = await handled(runtime, NameCaseManager(body, actor))
    response.headers["Location"] = f"/v1/case-manager-periods/{recorded.row['id']}"
    return summary_of(recorded)


@router.post(
    "/{period_id}/change",
    response_model=PeriodSummary,
    summary="Another case manager or end date; the county is told",
    description=(
        "What is left out stays. A change that repeats what stands sends nothing. An ended "
        "period cannot change (`409`, `case_manager.period_ended`): name a new one."
    ),
    responses=problem_responses(404, 409, 422),
)
async def change_case_manager(
    runtime: RuntimeDep,
    actor: ActorDep,
    period_id: UUID,
    body: Annotated[CaseManagerChangeRequest, Body(openapi_examples=_CHANGE)],
) -> PeriodSummary:
    return summary_of(await handled(runtime, ChangeCaseManager(period_id, body, actor)))


@router.post(
    "/{period_id}/end",
    response_model=PeriodSummary,
    summary="End the period early; the county is told",
    description=(
        "`ended_on` (today, Finnish time, if left out) must fall within the period. A period "
        "that has ended, by itself or early, is `409` (`case_manager.period_ended`)."
    ),
    responses=problem_responses(404, 409, 422),
)
async def end_case_manager_period(
    runtime: RuntimeDep,
    actor: ActorDep,
    period_id: UUID,
    body: Annotated[CaseManagerEndRequest, Body(openapi_examples=_END)],
) -> PeriodSummary:
    return summary_of(await handled(runtime, EndCaseManagerPeriod(period_id, body, actor)))
