"""County → Kela: what happened to a referral. Status only, never case content.

`StatusUpdate` is what a county's client information system posts; the county side turns it
into a `StatusAcknowledgement` on the bus.
"""

from datetime import date
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, with_examples
from silta_schemas.code_lists import CodeListName, described
from silta_schemas.codes import HoldReason
from silta_schemas.examples import STATUS_ACKNOWLEDGEMENT_EXAMPLE, STATUS_UPDATE_EXAMPLES
from silta_schemas.lifecycle import Actor, may_set
from silta_schemas.parties import KELA, CountyCode, OrganisationId
from silta_schemas.purpose import Purpose
from silta_schemas.referral_status import (
    Outcome,
    ProgressEvent,
    ReferralStatus,
    check_forwarding,
    check_status_details,
)
from silta_schemas.rejection import MessageRejected
from silta_schemas.routing import MunicipalityCode
from silta_schemas.spec import (
    BY_COUNTY,
    Addressing,
    Grounds,
    KindSpec,
    ReferralLink,
    Route,
    to_kela,
)
from silta_schemas.text import FreeText, ShortText

STATUS_FEEDBACK = "Social Welfare Act 1301/2014 §35; Act on Social Assistance 1412/1997 §18"

ProgressEventDetail = Annotated[
    ProgressEvent | None,
    Field(
        default=None,
        description=described(
            CodeListName.EVENTS, "What happened; required iff status is in_progress."
        ),
    ),
]
HoldReasonDetail = Annotated[
    HoldReason | None,
    Field(
        default=None,
        description=described(
            CodeListName.HOLD_REASONS,
            "Why the referral is on hold: a code, never free text; required iff status is on_hold.",
        ),
    ),
]
OutcomeDetail = Annotated[
    Outcome | None,
    Field(
        default=None,
        description=described(
            CodeListName.OUTCOMES, "How it ended; required iff status is completed."
        ),
    ),
]


class StatusUpdate(Contract):
    """What a county's client information system posts to change a referral's status."""

    model_config = with_examples(*STATUS_UPDATE_EXAMPLES.values())

    status: Literal[
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.ON_HOLD,
        ReferralStatus.COMPLETED,
        ReferralStatus.REJECTED,
        ReferralStatus.FORWARDED,
    ] = Field(description=described(CodeListName.STATUSES, "The new status."))
    event: ProgressEventDetail
    outcome: OutcomeDetail
    hold_reason: HoldReasonDetail
    reason: FreeText | None = Field(
        default=None, description="Why; required when status is rejected or forwarded."
    )
    forwarded_to_municipality: MunicipalityCode | None = Field(
        default=None,
        description='Forwarding ("not ours"): the client\'s municipality of residence as the '
        "county knows it; it decides the county the referral goes on to. Only with forwarded.",
    )
    unit: ShortText | None = Field(
        default=None,
        description="The unit of the worker making the change, e.g. `Aikuissosiaalityö, "
        "Lappeenranta`: both sides' histories show it (the worker only the county's).",
    )

    @model_validator(mode="after")
    def _details(self) -> Self:
        check_status_details(self.status, self.event, self.outcome, self.reason, self.hold_reason)
        # Routing uses today's classification; the county side checks it again when applying.
        check_forwarding(self.status, self.forwarded_to_municipality, date.today())
        return self


class StatusAcknowledgement(Contract):
    """County → Kela on the bus: a referral's status changed. Status only, never case content."""

    model_config = with_examples(STATUS_ACKNOWLEDGEMENT_EXAMPLE)

    kind: Literal["status_acknowledgement"] = Field(description="Message kind discriminator.")
    referral_id: UUID = Field(description="The referral this status belongs to.")
    sequence: int = Field(
        ge=1, description="Order of this change within the referral, set by the county side."
    )
    status: ReferralStatus = Field(
        description=described(CodeListName.STATUSES, "The referral's status after the change.")
    )
    event: ProgressEventDetail
    outcome: OutcomeDetail
    hold_reason: HoldReasonDetail
    reason: FreeText | None = Field(
        default=None, description="Why; required when status is rejected, forwarded or cancelled."
    )
    forwarded_to_county: CountyCode | None = Field(
        default=None, description="Where a forwarded referral goes on to; only with forwarded."
    )
    forwarded_to_municipality: MunicipalityCode | None = Field(
        default=None,
        description="The municipality of residence that decides forwarded_to_county; only "
        "with forwarded.",
    )
    changed_at: AwareDatetime = Field(description="When the status changed.")
    changed_by: OrganisationId = Field(
        description="The organisation that changed it: the county, or `kela` for a "
        "cancellation the county has applied."
    )
    changed_by_unit: ShortText | None = Field(
        default=None,
        description="The county unit that made the change, e.g. `Aikuissosiaalityö, "
        "Lappeenranta` (work data); never the worker (data minimisation: Kela learns a "
        "worker only as the responsible worker).",
    )

    @model_validator(mode="after")
    def _details(self) -> Self:
        check_status_details(self.status, self.event, self.outcome, self.reason, self.hold_reason)
        county = check_forwarding(
            self.status, self.forwarded_to_municipality, self.changed_at.date()
        )
        if county != self.forwarded_to_county:
            raise PydanticCustomError(
                "status.forward_target_mismatch",
                "forwarded_to_county must be the county forwarded_to_municipality routes to",
            )
        if (self.status == ReferralStatus.CANCELLED) != (self.changed_by == KELA):
            raise PydanticCustomError(
                "status.changed_by",
                "only Kela cancels: changed_by is kela exactly when status is cancelled",
            )
        return self


def _check_acknowledgement(addressing: Addressing, payload: StatusAcknowledgement) -> None:
    """A county reports its own changes, and Kela's cancellations once it has applied them."""
    if payload.status == ReferralStatus.CANCELLED:
        if payload.changed_by != KELA:
            raise MessageRejected(
                "envelope.sender_not_allowed", "only Kela cancels: payload.changed_by is kela"
            )
    else:
        if payload.changed_by != addressing.sender:
            raise MessageRejected(
                "envelope.sender_not_allowed", "payload.changed_by must be the sender"
            )
        if not may_set(Actor.COUNTY, payload.status):
            raise MessageRejected(
                "envelope.sender_not_allowed", f"a county may not set {payload.status.value}"
            )
    if payload.referral_id != addressing.referral_id:
        raise MessageRejected(
            "payload.referral_mismatch", "payload.referral_id must equal envelope referral_id"
        )


SPEC = KindSpec(
    payload=StatusAcknowledgement,
    route=Route(BY_COUNTY, to_kela, ReferralLink.REQUIRED),
    grounds=Grounds(Purpose.REFERRAL_STATUS_FEEDBACK, STATUS_FEEDBACK),
    check=_check_acknowledgement,
)
