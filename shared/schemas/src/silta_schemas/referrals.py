"""Kela → county referral requests: the HTTP body of Kela's API and the bus payload alike.

Each referral kind lives in its own module in `silta_schemas.kinds`; this module is their
public place and `ReferralRequest`, any of them told apart by `kind`. A new referral kind is
also added to `ReferralRequest`.
"""

from typing import Annotated

from pydantic import ConfigDict, Field, TypeAdapter

from silta_schemas.kinds.application_transfer import (
    ApplicantRequest,
    ApplicationTransfer,
    KelaDecision,
)
from silta_schemas.kinds.basic_amount_reduction import NoticeOfBasicAmountReduction
from silta_schemas.kinds.notice_of_need import (
    Basis,
    ConsentBasis,
    LegalExceptionBasis,
    NoticeOfNeed,
)
from silta_schemas.referral_parts import Client, ForwardedFrom

__all__ = [
    "ApplicantRequest",
    "ApplicationTransfer",
    "Basis",
    "Client",
    "ConsentBasis",
    "ForwardedFrom",
    "KelaDecision",
    "LegalExceptionBasis",
    "NoticeOfBasicAmountReduction",
    "NoticeOfNeed",
    "ReferralRequest",
    "referral_adapter",
]

ReferralRequest = Annotated[
    NoticeOfNeed | NoticeOfBasicAmountReduction | ApplicationTransfer,
    Field(discriminator="kind"),
]
"""Any Kela → county referral request, told apart by `kind`."""

referral_adapter: TypeAdapter[ReferralRequest] = TypeAdapter(
    ReferralRequest, config=ConfigDict(hide_input_in_errors=True)
)
"""Validates a referral request body; like the models, keeps input out of error text."""
