"""The officer's view of one client's cooperation with the counties."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses
from silta_protection.access_log import ActorDep
from silta_records.consultations.api import ConsultationSummary, summary_of
from silta_records.cooperation.case_managers import PeriodView
from silta_records.responsible_workers import ResponsibleWorkerView
from silta_records.views import summary_fields
from silta_schemas import examples
from silta_schemas.client_lookup import ClientLookup

from kela_side.api.referrals import ReferralSummary
from kela_side.cooperation import ClientCooperation, client_cooperation
from kela_side.settings import KelaSettings

router = APIRouter(prefix="/v1/clients", tags=["clients"])


class ReferralAtAGlanceView(ReferralSummary):
    responsible_worker: ResponsibleWorkerView | None = Field(
        description="The client's responsible worker at the county (vastuutyöntekijä), as "
        "named last, with the worker's directory contact where Kela holds it."
    )


class StatementAtAGlance(BaseModel):
    id: UUID = Field(description="The statement's id: `GET /v1/statements/{id}` opens it.")
    county_code: str = Field(description="The county that gave it.")
    referral_id: UUID | None = Field(description="The referral it concerns, if any.")
    made_at: datetime = Field(description="When the social worker made it.")
    received_at: datetime = Field(description="When Kela's side received it.")


class CooperationView(BaseModel):
    """The client's cooperation with the counties at a glance."""

    since: datetime = Field(
        description="Closed referrals last changed before this are left out "
        "(`KELA_SIDE_COOPERATION_RECENT_DAYS`); open ones are always shown."
    )
    referrals: list[ReferralAtAGlanceView] = Field(
        description="The client's open and recent referrals, newest first: status, county, "
        "deadline and responsible worker."
    )
    statements: list[StatementAtAGlance] = Field(
        description="The counties' statements of social work about the client, newest first "
        "(their content is opened one at a time, and accounted for)."
    )
    case_managers: list[PeriodView] = Field(
        description="The client's case-manager periods (asiakkuusvastaava), newest first: the "
        "case manager's work contact, the dates and the state today."
    )
    consultations: list[ConsultationSummary] = Field(
        description="The client's open consultations, either way, newest first: asked and not "
        "yet answered, declined or expired (`GET /v1/consultations/{id}` opens one)."
    )


def _view(found: ClientCooperation) -> CooperationView:
    return CooperationView(
        since=found.since,
        referrals=[
            ReferralAtAGlanceView(
                **summary_fields(item.referral, "recipient", "created_at"),
                responsible_worker=item.responsible_worker,
            )
            for item in found.referrals
        ],
        statements=[
            StatementAtAGlance(
                id=row.statement_id,
                county_code=row.county_code,
                referral_id=row.referral_id,
                made_at=row.made_at,
                received_at=row.received_at,
            )
            for row in found.statements
        ],
        case_managers=found.case_managers,
        consultations=[summary_of(item) for item in found.consultations],
    )


_EXAMPLES = {"client": {"summary": "One client", "value": examples.STATEMENT_SEARCH_EXAMPLE}}


@router.post(
    "/cooperation",
    response_model=CooperationView,
    summary="One client's cooperation with the counties at a glance",
    description=(
        "For the officer deciding the client's application (Act on Social Assistance "
        "1412/1997 §18): the client's open and recent referrals with status, county and "
        "responsible worker (and their directory contact), the counties' statements, the "
        "client's case-manager periods and the open consultations. The "
        "identity code goes in the body, never in the URL. Every item shown is in the access "
        "log."
    ),
    responses=problem_responses(422),
)
async def cooperation(
    runtime: RuntimeDep,
    actor: ActorDep,
    client: Annotated[ClientLookup, Body(openapi_examples=_EXAMPLES)],
) -> CooperationView:
    settings = runtime.settings
    assert isinstance(settings, KelaSettings)
    found = await client_cooperation(runtime.transactions, settings, client.identity_code, actor)
    return _view(found)
