"""Kela → county: notice of basic amount reduction (perusosan alentaminen), Act on Social
Assistance 1412/1997 §10. Sent by law whenever Kela reduces the basic amount."""

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import with_examples
from silta_schemas.examples import BASIC_AMOUNT_REDUCTION_EXAMPLE
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

ASA_10 = "Act on Social Assistance 1412/1997 §10"


class NoticeOfBasicAmountReduction(ReferralPayload):
    """Notice of basic amount reduction (perusosan alentaminen), Act on Social Assistance §10.

    Sent by law whenever Kela reduces the basic amount: no consent, so no contact details.
    """

    model_config = with_examples(BASIC_AMOUNT_REDUCTION_EXAMPLE)

    kind: Literal["basic_amount_reduction"] = Field(description="Message kind discriminator.")
    made_at: AwareDatetime = Field(description="When Kela made the notice.")
    client: Client = Field(description="The client whose basic amount was reduced.")
    reduction_percent: Literal[20, 40] = Field(description="Reduction of the basic amount, %.")
    decision_date: date = Field(description="Date of Kela's reduction decision.")
    period_start: date = Field(description="First day of the reduction.")
    period_end: date = Field(description="Last day of the reduction.")
    kela_contact: KelaContact = Field(description="Whom at Kela the county can contact.")
    new_referral_reason: NewReferralReason
    forwarded_from: Forwarding

    @model_validator(mode="before")
    @classmethod
    def _no_basis(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("basis" in data or "consent" in data):
            raise PydanticCustomError(
                "basis.not_allowed",
                "a notice of basic amount reduction is sent by law (ASA §10) and carries "
                "no consent",
            )
        return data

    _no_contact = no_contact_details("a notice of basic amount reduction")

    @field_validator("period_end")
    @classmethod
    def _period_order(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("period_start")
        if isinstance(start, date) and end < start:
            raise PydanticCustomError("period.order", "period_end must not be before period_start")
        return end


SPEC = KindSpec(
    payload=NoticeOfBasicAmountReduction,
    route=KELA_TO_ROUTED_COUNTY,
    grounds=Grounds(Purpose.BASIC_AMOUNT_REDUCTION_NOTICE, ASA_10),
    check=no_location_under_non_disclosure,
)
