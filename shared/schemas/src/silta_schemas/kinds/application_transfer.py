"""Kela → county: transfer of an application (hakemuksen siirto), Act on Social Assistance
1412/1997 §14, at the applicant's request."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, check_no_repeats, with_examples
from silta_schemas.codes import AssistanceType, ConsentMethod, ExpenseCategory, Urgency
from silta_schemas.examples import APPLICATION_TRANSFER_EXAMPLE
from silta_schemas.parties import KelaContact
from silta_schemas.purpose import Purpose
from silta_schemas.referral_parts import (
    KELA_TO_ROUTED_COUNTY,
    Client,
    Forwarding,
    NewReferralReason,
    ReferralPayload,
    no_contact_details,
    no_location_under_non_disclosure,
)
from silta_schemas.spec import Grounds, KindSpec
from silta_schemas.text import ShortText

ASA_14 = "Act on Social Assistance 1412/1997 §14 (at the applicant's request)"


class ApplicantRequest(Contract):
    """The applicant's request that Kela transfer the application (ASA §14)."""

    requested_at: AwareDatetime = Field(description="When the applicant asked for the transfer.")
    method: ConsentMethod = Field(description="How the applicant asked.")


class KelaDecision(Contract):
    """Kela's own decision on basic assistance that the transferred application belongs to."""

    reference: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/-]{2,39}$",
        description="Kela's reference (diaarinumero) of the decision.",
        examples=["TO-2026-0412345"],
    )
    decided_on: date = Field(description="Date of Kela's decision.")


class ApplicationTransfer(ReferralPayload):
    """Transfer of an application (hakemuksen siirto), Act on Social Assistance 1412/1997 §14.

    At the applicant's request Kela forwards the part of an application that basic assistance
    does not cover to the county, which decides on supplementary or preventive assistance
    within its deadline (default 7 working days, configurable). No consent, no contact details:
    only what the county needs to take up the application.
    """

    model_config = with_examples(APPLICATION_TRANSFER_EXAMPLE)

    kind: Literal["application_transfer"] = Field(description="Message kind discriminator.")
    made_at: AwareDatetime = Field(description="When Kela made the transfer.")
    client: Client = Field(description="The applicant.")
    applicant_request: ApplicantRequest = Field(description="The applicant's request recorded.")
    application_received_on: date = Field(description="When Kela received the application.")
    kela_decision: KelaDecision = Field(description="Kela's decision on basic assistance.")
    assistance_sought: tuple[AssistanceType, ...] = Field(
        min_length=1, description="What the county is to decide on: supplementary, preventive."
    )
    expense_categories: tuple[ExpenseCategory, ...] = Field(
        min_length=1, description="The expenses basic assistance does not cover."
    )
    expense_description: ShortText | None = Field(
        default=None,
        validate_default=True,
        repr=False,
        description="What the other expenses are; required when expense_categories has other.",
    )
    kela_contact: KelaContact = Field(description="Whom at Kela the county can contact.")
    urgency: Urgency = Field(
        default=Urgency.NORMAL, description="Urgent shortens the county's decision deadline."
    )
    new_referral_reason: NewReferralReason
    forwarded_from: Forwarding

    _no_contact = no_contact_details("an application transfer")

    @field_validator("applicant_request")
    @classmethod
    def _requested_before_transfer(
        cls, request: ApplicantRequest, info: ValidationInfo
    ) -> ApplicantRequest:
        made_at = info.data.get("made_at")
        if isinstance(made_at, datetime) and request.requested_at > made_at:
            raise PydanticCustomError(
                "transfer.request_after_transfer",
                "applicant_request.requested_at is after made_at: Kela transfers an "
                "application only at the applicant's request (ASA 1412/1997 §14)",
            )
        return request

    @field_validator("assistance_sought", "expense_categories")
    @classmethod
    def _no_duplicates(cls, values: tuple[StrEnum, ...], info: ValidationInfo) -> Any:
        name = info.field_name
        check_no_repeats(values, f"{name}.duplicate", f"{name} lists a value more than once")
        return values

    @field_validator("expense_description")
    @classmethod
    def _describe_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and ExpenseCategory.OTHER in info.data.get("expense_categories", ()):
            raise PydanticCustomError(
                "expense_description.required",
                "expense_description is required when expense_categories includes other",
            )
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.kela_decision.decided_on < self.application_received_on:
            raise PydanticCustomError(
                "transfer.decision_before_application",
                "kela_decision.decided_on is before application_received_on",
            )
        if self.kela_decision.decided_on > self.made_at.date():
            raise PydanticCustomError(
                "transfer.decision_after_transfer",
                "kela_decision.decided_on is after made_at: the transfer carries the reference "
                "of a decision Kela has made",
            )
        return self


SPEC = KindSpec(
    payload=ApplicationTransfer,
    route=KELA_TO_ROUTED_COUNTY,
    grounds=Grounds(Purpose.APPLICATION_TRANSFER, ASA_14),
    check=no_location_under_non_disclosure,
)
