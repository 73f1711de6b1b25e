"""Kela names a client's case manager (asiakkuusvastaava) for a period, changes or ends it;
the client's county is told each time. Reading them: ``silta_records.cooperation.reads``."""

from __future__ import annotations

from fastapi import APIRouter
from silta_records.cooperation.case_managers import PeriodSummary, period_summary
from silta_schemas import cooperation as co
from silta_schemas import cooperation_examples as examples

from kela_side.api.recorded import RecordRoutes
from kela_side.domain.case_managers import CONFLICTS

router = APIRouter(prefix="/v1/case-manager-periods", tags=["case managers"])
routes = RecordRoutes(router, PeriodSummary, period_summary, CONFLICTS)

routes.create(
    co.CaseManagerPeriodRequest,
    {
        "named": {
            "summary": "A case manager for six months",
            "value": examples.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE,
        }
    },
    "Name a client's case manager for a period; the client's county is told",
    "On the client's consent. Kela's side routes by `client.municipality_code` and sends the "
    "county only its code, the identity code, the consent, the case manager's work contact and "
    "the dates (`case_manager_period`, action `named`). A client has one case manager at a "
    "time: a period sharing a day with another is `409` (`case_manager.overlapping_period`). "
    "The period ends by itself after `ends_on`.",
)
routes.step(
    "change",
    co.CaseManagerChangeRequest,
    "Another case manager or end date; the county is told",
    "What is left out stays. A change that repeats what stands sends nothing. An ended period "
    "cannot change (`409`, `case_manager.period_ended`): name a new one.",
)
routes.step(
    "end",
    co.CaseManagerEndRequest,
    "End the period early; the county is told",
    "`ended_on` (today, Finnish time, if left out) must fall within the period. A period that "
    "has ended, by itself or early, is `409` (`case_manager.period_ended`).",
)
