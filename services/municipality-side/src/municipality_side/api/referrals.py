"""The counties' integration API: the inbox of referrals, and their status updates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from silta_platform.authorisation import PrincipalDep
from silta_platform.http import RuntimeDep, read_list, read_one
from silta_platform.problems import problem_responses, transition_not_allowed
from silta_protection.access_log import ActorDep
from silta_records.views import (
    ListQueryDep,
    ReferralSummaryBase,
    StatusChangeView,
    summary_fields,
)
from silta_schemas import examples
from silta_schemas.code_lists import Checklist, Code, CodeListName, code_list
from silta_schemas.lifecycle import TransitionNotAllowed
from silta_schemas.referrals import ReferralRequest
from silta_schemas.status import StatusUpdate

from municipality_side import queries
from municipality_side.api.scope import VisibleCounties, settings_of
from municipality_side.commands import ChangeStatus
from municipality_side.records import ReferralRecord

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
SERVICE_NEED_CHECKLIST = CodeListName.SERVICE_NEED_CHECKLIST


class CountyStatusChangeView(StatusChangeView):
    changed_by_worker: str | None = Field(
        None,
        description="The county worker who made the change (their token's subject): this "
        "side only, never sent to Kela.",
    )


class InboxItem(ReferralSummaryBase):
    urgency: str | None = Field(
        description="`urgent` or `normal` for a notice of need or an application transfer."
    )
    child_welfare: bool = Field(
        description="A child-welfare notice (Child Welfare Act 417/2007 §25): it arrived on "
        "the child-welfare queue."
    )
    received_at: datetime = Field(description="When this side stored it (status `delivered`).")
    assigned_to: str | None = Field(
        None, description="The county worker it is assigned to (worklists); null: nobody."
    )


class ReferralView(InboxItem):
    referral: ReferralRequest | None = Field(
        description="The referral as Kela sent it; null once retention purged it."
    )
    purged_at: datetime | None = Field(
        None, description="When retention purged the referral's content (the record stays)."
    )
    history: list[CountyStatusChangeView] = Field(description="Every status change, oldest first.")
    service_need_checklist: list[Code] | None = Field(
        None,
        description="A notice of need's service-need checklist: each item Kela's officer "
        "identified, with its labels (null when the notice has none).",
    )


class Inbox(BaseModel):
    items: list[InboxItem]


def _item(record: ReferralRecord) -> dict[str, Any]:
    return summary_fields(record, "urgency", "received_at", "child_welfare", "assigned_to")


def _checklist(record: ReferralRecord, checklist: Checklist) -> list[Code] | None:
    items = (record.payload or {}).get("service_need_checklist") or {}
    if not items:
        return None
    labelled = {code.code: code for code in code_list(SERVICE_NEED_CHECKLIST, checklist).codes}
    # Only accepted items were stored (the receipt refuses others); a code this deployment
    # has since dropped is still shown, by its code.
    return [
        labelled.get(code, Code(code=code, fi=code, sv=code, en=code)) for code in items["items"]
    ]


def _view(record: ReferralRecord, checklist: Checklist) -> ReferralView:
    return ReferralView(
        **_item(record),
        service_need_checklist=_checklist(record, checklist),
        referral=record.payload,
        purged_at=record.purged_at,
        history=[
            CountyStatusChangeView.model_validate(c, from_attributes=True) for c in record.history
        ],
    )


@read_list(router, Inbox, "The inbox: referrals received for the counties served, newest first")
async def list_inbox(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    counties: VisibleCounties,
    query: ListQueryDep,
    child_welfare: Annotated[
        bool | None,
        Query(description="Only child-welfare notices (true), or only the others (false)."),
    ] = None,
    assigned_to: Annotated[
        Literal["me"] | None,
        Query(
            description="`me`: only the referrals assigned to the caller (their token's "
            "subject): the caller's worklist."
        ),
    ] = None,
    unassigned: Annotated[
        bool | None,
        Query(
            description="Only the referrals nobody is assigned to (true), or only assigned "
            "ones (false)."
        ),
    ] = None,
) -> Inbox:
    mine = principal.subject if assigned_to == "me" else None
    records = await queries.list_inbox(
        runtime.long_reads, counties, query, child_welfare, assigned_to=mine, unassigned=unassigned
    )
    return Inbox(items=[InboxItem(**_item(record)) for record in records])


@read_one(
    router,
    "/{referral_id}",
    ReferralView,
    "A referral: what Kela sent, its status and its whole history",
)
async def read_referral(
    runtime: RuntimeDep, actor: ActorDep, counties: VisibleCounties, referral_id: UUID
) -> ReferralView:
    record = await queries.get_referral(
        runtime.transactions, settings_of(runtime), referral_id, actor, counties
    )
    return _view(record, runtime.settings.checklist)


_STATUS_EXAMPLES = {
    name: {"summary": name.replace("_", " "), "value": body}
    for name, body in examples.STATUS_UPDATE_EXAMPLES.items()
}


@router.post(
    "/{referral_id}/status",
    response_model=ReferralView,
    summary="Change a referral's status; Kela is told at once",
    description=(
        "Checked against the referral lifecycle: accepted → in_progress (with what happened) → "
        'completed (with an outcome), or rejected (with a reason), or forwarded ("not ours": '
        "with a reason and the client's municipality of residence, which decides the county "
        "Kela re-sends it to); on_hold with a `hold_reason` code, resumed with in_progress and "
        "event `resumed`; an application transfer may be completed (decided) once accepted. "
        "`unit` names the worker's unit (both sides' histories show it; the worker, the "
        "token's subject, only this side's). A transition the lifecycle does not allow gets "
        "`409` naming the rule."
    ),
    responses=problem_responses(404, 409, 422),
)
async def post_status(
    runtime: RuntimeDep,
    actor: ActorDep,
    counties: VisibleCounties,
    referral_id: UUID,
    update: Annotated[StatusUpdate, Body(openapi_examples=_STATUS_EXAMPLES)],
) -> ReferralView:
    try:
        record = await runtime.commands.handle(ChangeStatus(referral_id, update, counties, actor))
    except TransitionNotAllowed as error:
        raise transition_not_allowed(error) from None
    return _view(record, runtime.settings.checklist)
