"""Kela → county: notice of basic amount reduction (perusosan alentaminen), Act on Social
Assistance 1412/1997 §10. Sent by law whenever Kela reduces the basic amount."""

from datetime import date
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract
from silta_schemas.codes import MessageKind
from silta_schemas.examples import BASIC_AMOUNT_REDUCTION_EXAMPLE
from silta_schemas.parties import KelaContact
from silta_schemas.purpose import Purpose
from silta_schemas.referral_parts import (
    Client,
    Forwarding,
    NewReferralReason,
    RoutedReferral,
    check_routes,
    to_routed_county,
    without_contact,
)
from silta_schemas.spec import BY_KELA, KindSpec, ReferralLink

ASA_10 = "Act on Social Assistance 1412/1997 §10"


class NoticeOfBasicAmountReduction(Contract, RoutedReferral):
    """Notice of basic amount reduction (perusosan alentaminen), Act on Social Assistance §10.

    Sent by law whenever Kela reduces the basic amount: no consent, so no contact details.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [BASIC_AMOUNT_REDUCTION_EXAMPLE]})

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

    _routes = field_validator("client")(check_routes)

    @field_validator("client")
    @classmethod
    def _no_contact(cls, client: Client) -> Client:
        return without_contact(client, "a notice of basic amount reduction")

    @field_validator("period_end")
    @classmethod
    def _period_order(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("period_start")
        if isinstance(start, date) and end < start:
            raise PydanticCustomError("period.order", "period_end must not be before period_start")
        return end


SPEC = KindSpec(
    kind=MessageKind.BASIC_AMOUNT_REDUCTION,
    payload=NoticeOfBasicAmountReduction,
    senders=BY_KELA,
    recipient=to_routed_county,
    referral=ReferralLink.REQUIRED,
    purpose=Purpose.BASIC_AMOUNT_REDUCTION_NOTICE,
    legal_basis=ASA_10,
)
