"""Kela → county: Kela withdraws a referral it sent in error (the county sees it at once)."""

from typing import Literal

from pydantic import AwareDatetime, Field

from silta_schemas._base import Contract, with_examples
from silta_schemas.examples import CANCELLATION_EXAMPLE, CANCELLATION_REQUEST_EXAMPLE
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_KELA, Grounds, KindSpec, ReferralLink, Route, to_one_county
from silta_schemas.text import ShortText

WITHDRAWAL = (
    "Social Welfare Act 1301/2014 §35; Act on Social Assistance 1412/1997 §§10, 14: "
    "withdrawing a referral sent in error (GDPR Art. 5(1)(d))"
)

WRONG_RECIPIENT = "a cancellation goes to the county that holds the referral"


class CancellationRequest(Contract):
    """What Kela's case system posts to cancel a referral."""

    model_config = with_examples(CANCELLATION_REQUEST_EXAMPLE)

    reason: ShortText = Field(description="Why the referral is cancelled (required).")


class Cancellation(Contract):
    """The bus payload: which referral (the envelope's `referral_id`), when and why. Nothing
    about the client: the county already holds the referral."""

    model_config = with_examples(CANCELLATION_EXAMPLE)

    kind: Literal["cancellation"] = Field(description="Message kind discriminator.")
    cancelled_at: AwareDatetime = Field(description="When Kela cancelled the referral.")
    reason: ShortText = Field(description="Why the referral is cancelled.")


SPEC = KindSpec(
    payload=Cancellation,
    route=Route(BY_KELA, to_one_county(WRONG_RECIPIENT), ReferralLink.REQUIRED),
    grounds=Grounds(Purpose.REFERRAL_CANCELLATION, WITHDRAWAL),
)
