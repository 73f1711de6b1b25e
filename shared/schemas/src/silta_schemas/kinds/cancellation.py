"""Kela → county: Kela withdraws a referral it sent in error (the county sees it at once)."""

from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field

from silta_schemas._base import Contract
from silta_schemas.codes import MessageKind
from silta_schemas.examples import CANCELLATION_EXAMPLE, CANCELLATION_REQUEST_EXAMPLE
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_KELA, KindSpec, ReferralLink, to_one_county
from silta_schemas.text import ShortText

WITHDRAWAL = (
    "Social Welfare Act 1301/2014 §35; Act on Social Assistance 1412/1997 §§10, 14: "
    "withdrawing a referral sent in error (GDPR Art. 5(1)(d))"
)


class CancellationRequest(Contract):
    """What Kela's case system posts to cancel a referral."""

    model_config = ConfigDict(json_schema_extra={"examples": [CANCELLATION_REQUEST_EXAMPLE]})

    reason: ShortText = Field(description="Why the referral is cancelled (required).")


class Cancellation(Contract):
    """The bus payload: which referral (the envelope's `referral_id`), when and why. Nothing
    about the client: the county already holds the referral."""

    model_config = ConfigDict(json_schema_extra={"examples": [CANCELLATION_EXAMPLE]})

    kind: Literal["cancellation"] = Field(description="Message kind discriminator.")
    cancelled_at: AwareDatetime = Field(description="When Kela cancelled the referral.")
    reason: ShortText = Field(description="Why the referral is cancelled.")


SPEC = KindSpec(
    kind=MessageKind.CANCELLATION,
    payload=Cancellation,
    senders=BY_KELA,
    recipient=to_one_county("a cancellation goes to the county that holds the referral"),
    referral=ReferralLink.REQUIRED,
    purpose=Purpose.REFERRAL_CANCELLATION,
    legal_basis=WITHDRAWAL,
)
