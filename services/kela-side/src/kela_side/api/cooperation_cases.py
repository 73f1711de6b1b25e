"""Kela opens a client's cooperation case (yhteistyöasiakkuus) with the client's county, sets
its follow-up dates, links to it and closes it; the county is told each time. Reading them
and the cases due for follow-up: ``silta_records.cooperation.reads``."""

from __future__ import annotations

from fastapi import APIRouter
from silta_records.cooperation.cases import CaseSummary, case_summary
from silta_schemas import cooperation as co
from silta_schemas import cooperation_examples as examples

from kela_side.api.recorded import RecordRoutes
from kela_side.domain.cooperation_cases import CONFLICTS

router = APIRouter(prefix="/v1/cooperation-cases", tags=["cooperation cases"])
routes = RecordRoutes(router, CaseSummary, case_summary, CONFLICTS)

_LINKS = (
    "Links are ids only: a `referral`, `statement` or `case_manager_period` must be one Kela "
    "holds of this client with this county (`422` `cooperation_case.link_unknown` / "
    "`cooperation_case.link_other_client`); a `consultation` id is taken as an opaque reference."
)

routes.create(
    co.CooperationCaseRequest,
    {
        "case": {
            "summary": "A case with a follow-up date",
            "value": examples.COOPERATION_CASE_REQUEST_EXAMPLE,
        }
    },
    "Open a client's cooperation case for follow-up; the client's county is told",
    "Kela's side routes by `client.municipality_code` and sends the county only its code. One "
    "open case per client and county (`409` `cooperation_case.already_open`). `follow_up_on`, "
    f"if given, is today or later. {_LINKS}",
)
routes.step(
    "follow-up",
    co.FollowUpRequest,
    "Set the case's next follow-up date (or none); the county is told",
    "The date already set sends nothing; a closed case is `409` (`cooperation_case.closed`).",
)
routes.step(
    "links",
    co.LinkRequest,
    "Link more of the client's records to the case; the county is told",
    f"Links the case has already are not added again; nothing new sends nothing. {_LINKS}",
)
routes.step("close", None, "Close the case (today); the county is told", "A closed case is `409`.")
