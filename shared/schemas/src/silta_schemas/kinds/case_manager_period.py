"""Kela → the client's county: the client's case manager (asiakkuusvastaava), a named Kela
service expert the client contacts directly for a fixed period (seed 001), when Kela names
one, changes the case manager or the end date, or ends the period early.

Every message carries the period whole (who, from when, until when, ended when): the county
keeps the newest by `recorded_at`, so messages arriving out of order leave the right state.
A period ends by itself when its end date passes: no message is sent for that.
"""

from datetime import date
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, with_examples
from silta_schemas.cooperation_examples import (
    CASE_MANAGER_CHANGE_EXAMPLE,
    CASE_MANAGER_END_EXAMPLE,
    CASE_MANAGER_PERIOD_EXAMPLE,
    CASE_MANAGER_PERIOD_REQUEST_EXAMPLE,
)
from silta_schemas.cooperation_parts import (
    COOPERATION_ON_A_SHARED_CLIENT,
    ClientConsent,
    ClientIdentity,
    RoutedClient,
    check_case_manager_reachable,
    check_order,
    to_client_county,
)
from silta_schemas.parties import CountyCode
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_KELA, Grounds, KindSpec, ReferralLink, Route
from silta_schemas.work_contact import WorkContact

CASE_MANAGER_SERVICE = (
    f"{COOPERATION_ON_A_SHARED_CLIENT}; the client's consent: the client's case manager and "
    "period (work contact, dates)"
)

WRONG_RECIPIENT = "a case-manager period goes to the client's county (county_code)"


class CaseManagerAction(StrEnum):
    """What happened to the period."""

    NAMED = "named"
    """Kela named a case manager for the client, for a period."""
    CHANGED = "changed"
    """Another case manager, or another end date."""
    ENDED = "ended"
    """Ended before its end date (on `ended_on`)."""


def _period_in_order(starts_on: date, ends_on: date) -> None:
    check_order(
        starts_on,
        ends_on,
        "ends_on",
        "case_manager.period_order",
        "ends_on may not be before starts_on",
    )


class CaseManagerPeriodRequest(Contract):
    """What Kela's case system sends to name a client's case manager for a period."""

    model_config = with_examples(CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)

    client: RoutedClient = Field(description="The client; Kela's side routes by the municipality.")
    consent: ClientConsent = Field(
        description="The client's consent to the service and to the county being told."
    )
    case_manager: WorkContact = Field(
        description="The case manager's work contact (name, title, unit, work phone or email)."
    )
    directory_entry_id: UUID | None = Field(
        default=None,
        description="The case manager's entry in Kela's part of the contact directory, if any.",
    )
    starts_on: date = Field(description="First day the client may contact the case manager.")
    ends_on: date = Field(description="Last day of the period; it ends by itself after it.")

    _reachable = field_validator("case_manager")(check_case_manager_reachable)

    @model_validator(mode="after")
    def _valid(self) -> Self:
        _period_in_order(self.starts_on, self.ends_on)
        return self


class CaseManagerChangeRequest(Contract):
    """A new case manager, a new end date, or both; what is left out stays."""

    model_config = with_examples(CASE_MANAGER_CHANGE_EXAMPLE)

    case_manager: WorkContact | None = Field(default=None, description="The new case manager.")
    directory_entry_id: UUID | None = Field(
        default=None, description="The new case manager's entry in Kela's part of the directory."
    )
    ends_on: date | None = Field(default=None, description="The new last day of the period.")

    _reachable = field_validator("case_manager")(check_case_manager_reachable)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.case_manager is None and self.ends_on is None:
            raise PydanticCustomError(
                "case_manager.change_empty", "give a new case_manager, a new ends_on, or both"
            )
        return self


class CaseManagerEndRequest(Contract):
    """End the period before its end date."""

    model_config = with_examples(CASE_MANAGER_END_EXAMPLE)

    ended_on: date | None = Field(
        default=None, description="The last day of the period; today (Finnish time) if left out."
    )


class CaseManagerPeriod(Contract):
    """Bus payload, Kela → the client's county: the client's case manager and the period.
    Work contact data, dates and the client's identity code; nothing about the case."""

    model_config = with_examples(CASE_MANAGER_PERIOD_EXAMPLE)

    kind: Literal["case_manager_period"] = Field(description="Message kind discriminator.")
    period_id: UUID = Field(description="The period's id, shared by both sides.")
    action: CaseManagerAction = Field(description="What happened: named, changed or ended.")
    recorded_at: AwareDatetime = Field(
        description="When Kela recorded it; the county keeps the newest (out-of-order arrival)."
    )
    county_code: CountyCode = Field(description="The client's county: the recipient.")
    client: ClientIdentity = Field(description="The client: the identity code only.")
    consent: ClientConsent = Field(description="The client's consent to the county being told.")
    case_manager: WorkContact = Field(description="The case manager's work contact.")
    directory_entry_id: UUID | None = Field(
        default=None, description="The case manager's entry in Kela's part of the directory."
    )
    starts_on: date = Field(description="First day of the period.")
    ends_on: date = Field(description="Last day of the period as agreed; it ends by itself after.")
    ended_on: date | None = Field(
        default=None, description="With `ended`: the last day of a period ended early."
    )

    _reachable = field_validator("case_manager")(check_case_manager_reachable)

    @model_validator(mode="after")
    def _valid(self) -> Self:
        _period_in_order(self.starts_on, self.ends_on)
        if (self.action == CaseManagerAction.ENDED) != (self.ended_on is not None):
            raise PydanticCustomError(
                "case_manager.ended_on", "ended_on is given with action ended, and only then"
            )
        if self.ended_on is not None and not self.starts_on <= self.ended_on <= self.ends_on:
            raise PydanticCustomError(
                "case_manager.ended_on_outside_period",
                "ended_on must fall within the period (starts_on to ends_on)",
            )
        if self.consent.given_at > self.recorded_at:
            raise PydanticCustomError(
                "case_manager.consent_after",
                "the consent must be given before the county is told (recorded_at)",
            )
        return self


SPEC = KindSpec(
    payload=CaseManagerPeriod,
    route=Route(BY_KELA, to_client_county(WRONG_RECIPIENT), ReferralLink.NONE),
    grounds=Grounds(Purpose.CASE_MANAGER_SERVICE, CASE_MANAGER_SERVICE),
)
