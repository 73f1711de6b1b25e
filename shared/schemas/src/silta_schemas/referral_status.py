"""Where a referral is and the details each status carries: status only, never case content."""

from datetime import date
from enum import StrEnum

from pydantic_core import PydanticCustomError

from silta_schemas.codes import HoldReason
from silta_schemas.routing import RoutingError, county_for_municipality


class ReferralStatus(StrEnum):
    """Where a referral is: the FHIR Task states mapped to the domain (see `lifecycle`)."""

    SENT = "sent"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FORWARDED = "forwarded"
    CANCELLED = "cancelled"


class ProgressEvent(StrEnum):
    """What happened while the referral is in progress."""

    CONTACT_ATTEMPTED = "contact_attempted"
    CLIENT_REACHED = "client_reached"
    CLIENT_NOT_REACHED = "client_not_reached"
    CLIENT_RELATIONSHIP_STARTED = "client_relationship_started"
    ALREADY_A_CLIENT = "already_a_client"
    RESUMED = "resumed"
    """Work goes on after the referral was on hold."""


class Outcome(StrEnum):
    """How a completed referral ended; `decided` only for an application transfer."""

    CLIENT_RELATIONSHIP_STARTED = "client_relationship_started"
    CLIENT_DECLINED = "client_declined"
    NOT_REACHED_AFTER_ATTEMPTS = "not_reached_after_attempts"
    NO_NEED_FOUND = "no_need_found"
    DECIDED = "decided"


REASON_REQUIRED = frozenset(
    {ReferralStatus.REJECTED, ReferralStatus.CANCELLED, ReferralStatus.FORWARDED}
)
"""Statuses that need a reason (as in FHIR Task: rejected, cancelled; and forwarded)."""
REASON_ALLOWED = REASON_REQUIRED


def _only_when(field: str, value: object, status: ReferralStatus, when: ReferralStatus) -> None:
    """`field` is given exactly when the status is `when`."""
    if status == when and value is None:
        raise PydanticCustomError(
            f"status.{field}_required",
            f"{field} is required when status is {when.value}",
            {"field": field},
        )
    if status != when and value is not None:
        raise PydanticCustomError(
            f"status.{field}_not_allowed",
            f"{field} is allowed only when status is {when.value}",
            {"field": field},
        )


def check_status_details(
    status: ReferralStatus,
    event: ProgressEvent | None,
    outcome: Outcome | None,
    reason: str | None,
    hold_reason: HoldReason | None = None,
) -> None:
    """Each status carries exactly the details it needs and nothing else (data minimisation)."""
    _only_when("event", event, status, ReferralStatus.IN_PROGRESS)
    _only_when("outcome", outcome, status, ReferralStatus.COMPLETED)
    # On hold needs its reason (as in FHIR Task), and a code: never free text about the case.
    _only_when("hold_reason", hold_reason, status, ReferralStatus.ON_HOLD)
    if status in REASON_REQUIRED and reason is None:
        raise PydanticCustomError(
            "status.reason_required",
            f"reason is required when status is {status.value}",
            {"field": "reason"},
        )
    if status not in REASON_ALLOWED and reason is not None:
        raise PydanticCustomError(
            "status.reason_not_allowed",
            "reason is allowed only when status is rejected, cancelled or forwarded: "
            "status messages carry no case content",
            {"field": "reason"},
        )


def check_forwarding(status: ReferralStatus, municipality_code: str | None, on: date) -> str | None:
    """The county a forwarded referral goes to; only `forwarded` names a municipality.

    The municipality is the one thing forwarding needs: the client's municipality of
    residence as the forwarding county knows it, which decides the right county.
    """
    forwarded = status == ReferralStatus.FORWARDED
    if forwarded and municipality_code is None:
        raise PydanticCustomError(
            "status.forward_target_required",
            "forwarded_to_municipality is required when status is forwarded: it decides "
            "the county the referral goes on to",
            {"field": "forwarded_to_municipality"},
        )
    if not forwarded and municipality_code is not None:
        raise PydanticCustomError(
            "status.forward_target_not_allowed",
            "forwarded_to_municipality is allowed only when status is forwarded",
            {"field": "forwarded_to_municipality"},
        )
    if municipality_code is None:
        return None
    try:
        return county_for_municipality(municipality_code, on)
    except RoutingError as error:
        raise PydanticCustomError(
            error.rule,
            f"forwarded_to_municipality: {error.message}",
            {"field": "forwarded_to_municipality"},
        ) from None
