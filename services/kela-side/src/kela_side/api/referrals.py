"""Kela's integration API: send referrals, follow their status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, Field
from silta_platform.http import (
    RuntimeDep,
    answer_created,
    idempotency_key_header,
    read_list,
    read_one,
)
from silta_platform.problems import (
    FieldError,
    ProblemError,
    idempotency_key_reused,
    problem_responses,
    transition_not_allowed,
)
from silta_protection.access_log import ActorDep
from silta_records.responsible_workers import ResponsibleWorkerView
from silta_records.views import (
    ListQueryDep,
    ReferralSummaryBase,
    StatusChangeView,
    summary_fields,
)
from silta_schemas import examples
from silta_schemas.cancellation import CancellationRequest
from silta_schemas.idempotency import IdempotencyKeyReused
from silta_schemas.lifecycle import TransitionNotAllowed
from silta_schemas.referrals import ReferralRequest
from silta_schemas.status import ReferralStatus

from kela_side import queries
from kela_side.commands import CancelReferral, SubmitReferral
from kela_side.domain.submission import DuplicateReferral
from kela_side.records import ReferralRecord

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])


class ReferralSummary(ReferralSummaryBase):
    recipient: str = Field(description="Receiving organisation, `county-NN`.")
    created_at: datetime = Field(description="When Kela's side stored it.")


class LegView(BaseModel):
    """One county's part of a referral that was forwarded on."""

    referral_id: UUID = Field(description="The referral as sent to this county.")
    county_code: str = Field(description="The county.")
    status: ReferralStatus = Field(description="Its status there (`forwarded` if it went on).")


class CancellationView(BaseModel):
    cancelled_at: datetime = Field(description="When Kela cancelled the referral.")
    reason: str = Field(description="Why.")


class ReferralView(ReferralSummary):
    new_referral_reason: str | None = Field(
        description="Why this referral was sent although another one was open (duplicates)."
    )
    forwarded_from: UUID | None = Field(
        description="The referral a county forwarded, of which this is the next leg."
    )
    forwarded_to: UUID | None = Field(
        description="The next leg, when the county forwarded this referral to another county."
    )
    chain: list[LegView] = Field(
        description="Every county the referral has been sent to, in order: one item unless "
        "a county forwarded it."
    )
    final_county_code: str = Field(description="The county the referral is now with.")
    cancellation: CancellationView | None = Field(
        description="Kela's cancellation, if it cancelled the referral."
    )
    history: list[StatusChangeView] = Field(description="Every status change, oldest first.")
    responsible_worker: ResponsibleWorkerView | None = Field(
        default=None,
        description="The client's responsible worker at the county, as named last, if any.",
    )
    purged_at: datetime | None = Field(
        default=None,
        description="When retention purged the referral's content (the tracking record stays).",
    )


class ReferralPage(BaseModel):
    items: list[ReferralSummary]


def _summary(record: ReferralRecord) -> dict[str, Any]:
    return summary_fields(record, "recipient", "created_at")


def _view(record: ReferralRecord) -> ReferralView:
    history = [
        StatusChangeView.model_validate(change, from_attributes=True) for change in record.history
    ]
    chain = [
        LegView(referral_id=leg.referral_id, county_code=leg.county_code, status=leg.status)
        for leg in record.chain
    ] or [LegView(referral_id=record.id, county_code=record.county_code, status=record.status)]
    cancellation = None
    if record.cancelled_at is not None and record.cancellation_reason is not None:
        cancellation = CancellationView(
            cancelled_at=record.cancelled_at, reason=record.cancellation_reason
        )
    return ReferralView(
        **_summary(record),
        new_referral_reason=record.new_referral_reason,
        forwarded_from=record.forwarded_from_id,
        forwarded_to=record.forwarded_to_id,
        chain=chain,
        final_county_code=chain[-1].county_code,
        cancellation=cancellation,
        history=history,
        purged_at=record.purged_at,
    )


def duplicate_problem(duplicate: DuplicateReferral, referral: ReferralRequest) -> ProblemError:
    """409 naming the client's open referral (its id and status, never the client)."""
    href = f"/v1/referrals/{duplicate.existing_id}"
    return ProblemError(
        409,
        "duplicate-referral",
        "The client already has an open referral",
        f"the client already has an open {referral.kind} at county {referral.county_code}: "
        f"{href} ({duplicate.existing_status}); give new_referral_reason to send another",
        [
            FieldError(
                field=duplicate.field or "body", rule=duplicate.rule, message=duplicate.detail
            )
        ],
        extra={
            "existing_referral": {
                "id": str(duplicate.existing_id),
                "status": duplicate.existing_status,
                "href": href,
            }
        },
    )


_EXAMPLES = {
    "notice_of_need": {
        "summary": "Notice of need for social work",
        "value": examples.NOTICE_OF_NEED_EXAMPLE,
    },
    "basic_amount_reduction": {
        "summary": "Notice of basic amount reduction",
        "value": examples.BASIC_AMOUNT_REDUCTION_EXAMPLE,
    },
    "application_transfer": {
        "summary": "Transfer of an application (ASA §14)",
        "value": examples.APPLICATION_TRANSFER_EXAMPLE,
    },
}


@router.post(
    "",
    status_code=201,
    response_model=ReferralView,
    summary="Send a referral to the client's county",
    description=(
        "Validates the referral against the shared schema, stores it with its outbox message in "
        "one transaction and answers `201` with status `sent`, also while the broker is down. "
        "With an `Idempotency-Key`, repeating the request returns the same referral (`200`). "
        "A notice about a client who already has an open referral of the same kind at the "
        "same county is not created: `409` names the existing referral and its status, "
        "unless `new_referral_reason` says why another is needed (the reason is recorded)."
    ),
    responses={
        200: {
            "model": ReferralView,
            "description": "Replay of an earlier request with the same Idempotency-Key",
        },
        **problem_responses(409, 422),
    },
)
async def create_referral(
    runtime: RuntimeDep,
    actor: ActorDep,
    response: Response,
    referral: Annotated[ReferralRequest, Body(openapi_examples=_EXAMPLES)],
    idempotency_key: Annotated[str | None, idempotency_key_header("referral")] = None,
) -> ReferralView:
    try:
        submitted = await runtime.commands.handle(SubmitReferral(referral, idempotency_key, actor))
    except DuplicateReferral as duplicate:
        raise duplicate_problem(duplicate, referral) from None
    except IdempotencyKeyReused:
        raise idempotency_key_reused() from None
    location = f"/v1/referrals/{submitted.referral.id}"
    answer_created(response, location, created=submitted.created)
    return _view(submitted.referral)


@read_one(router, "/{referral_id}", ReferralView, "A referral's current status and whole history")
async def read_referral(runtime: RuntimeDep, actor: ActorDep, referral_id: UUID) -> ReferralView:
    record, worker = await queries.get_referral(
        runtime.transactions, runtime.settings, referral_id, actor
    )
    view = _view(record)
    view.responsible_worker = worker
    return view


@read_list(router, ReferralPage, "Referrals sent, newest first")
async def list_referrals(runtime: RuntimeDep, query: ListQueryDep) -> ReferralPage:
    records = await queries.list_referrals(runtime.long_reads, query)
    return ReferralPage(items=[ReferralSummary(**_summary(record)) for record in records])


@router.post(
    "/{referral_id}/cancel",
    response_model=ReferralView,
    summary="Cancel a referral sent in error; the county sees it as soon as it arrives",
    description=(
        "Kela cancels a referral that is still open (`sent`, `delivered`, `accepted` or "
        "`in_progress`), with a reason. Its status becomes `cancelled` at once; the county "
        "applies the cancellation and reports it back, which adds it to the history. A "
        "referral that is already final gets `409` naming the rule."
    ),
    responses=problem_responses(404, 409, 422),
)
async def cancel_referral(
    runtime: RuntimeDep,
    actor: ActorDep,
    referral_id: UUID,
    request: Annotated[
        CancellationRequest,
        Body(openapi_examples={"cancel": {"value": examples.CANCELLATION_REQUEST_EXAMPLE}}),
    ],
) -> ReferralView:
    try:
        record = await runtime.commands.handle(CancelReferral(referral_id, request.reason, actor))
    except TransitionNotAllowed as error:
        raise transition_not_allowed(error) from None
    return _view(record)
