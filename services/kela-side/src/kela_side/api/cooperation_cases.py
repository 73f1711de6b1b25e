"""Kela opens a client's cooperation case (yhteistyöasiakkuus) with the client's county, sets
its follow-up dates, links to it and closes it; the county is told each time. Reading them
and the cases due for follow-up: ``silta_records.cooperation.reads``."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses
from silta_protection.access_log import ActorDep
from silta_records.cooperation.cases import CaseSummary, case_summary
from silta_schemas import cooperation_examples as examples
from silta_schemas.cooperation import CooperationCaseRequest, FollowUpRequest, LinkRequest

from kela_side.api.recorded import handled as handled_with
from kela_side.api.recorded import stored_row
from kela_side.commands import CloseCooperationCase, LinkToCase, OpenCooperationCase, SetFollowUp
from kela_side.domain.cooperation_cases import CONFLICTS

router = APIRouter(prefix="/v1/cooperation-cases", tags=["cooperation cases"])


async def handled(runtime: RuntimeDep, command: Any) -> CaseSummary:
    return case_summary(stored_row(await handled_with(runtime, command, CONFLICTS)))


_OPEN = {
    "case": {
        "summary": "A case with a follow-up date, a statement and a case manager linked",
        "value": examples.COOPERATION_CASE_REQUEST_EXAMPLE,
    }
}
_LINKS = (
    "Links are ids only: a `referral`, `statement` or `case_manager_period` must be one Kela "
    "holds of this client with this county (`422` `cooperation_case.link_unknown` / "
    "`cooperation_case.link_other_client`); a `consultation` id is taken as an opaque reference."
)


@router.post(
    "",
    status_code=201,
    response_model=CaseSummary,
    summary="Open a client's cooperation case for follow-up; the client's county is told",
    description=(
        "Kela's side routes by `client.municipality_code` and sends the county only its code. "
        "One open case per client and county (`409` `cooperation_case.already_open`). "
        f"`follow_up_on`, if given, is today or later. {_LINKS}"
    ),
    responses=problem_responses(409, 422),
)
async def open_case(
    runtime: RuntimeDep,
    actor: ActorDep,
    response: Response,
    body: Annotated[CooperationCaseRequest, Body(openapi_examples=_OPEN)],
) -> CaseSummary:
    summary = await handled(runtime, OpenCooperationCase(body, actor))
    response.headers["Location"] = f"/v1/cooperation-cases/{summary.id}"
    return summary


@router.post(
    "/{case_id}/follow-up",
    response_model=CaseSummary,
    summary="Set the case's next follow-up date (or none); the county is told",
    description="The date already set sends nothing; a closed case is `409` "
    "(`cooperation_case.closed`).",
    responses=problem_responses(404, 409, 422),
)
async def set_follow_up(
    runtime: RuntimeDep, actor: ActorDep, case_id: UUID, body: FollowUpRequest
) -> CaseSummary:
    return await handled(runtime, SetFollowUp(case_id, body, actor))


@router.post(
    "/{case_id}/links",
    response_model=CaseSummary,
    summary="Link more of the client's records to the case; the county is told",
    description=f"Links the case has already are not added again. {_LINKS}",
    responses=problem_responses(404, 409, 422),
)
async def link(
    runtime: RuntimeDep, actor: ActorDep, case_id: UUID, body: LinkRequest
) -> CaseSummary:
    return await handled(runtime, LinkToCase(case_id, body, actor))


@router.post(
    "/{case_id}/close",
    response_model=CaseSummary,
    summary="Close the case (today); the county is told",
    responses=problem_responses(404, 409),
)
async def close(runtime: RuntimeDep, actor: ActorDep, case_id: UUID) -> CaseSummary:
    return await handled(runtime, CloseCooperationCase(case_id, actor))
