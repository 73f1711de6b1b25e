"""Kela → county: Kela withdraws a referral it sent in error (the county sees it at once)."""

from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field

from silta_schemas._base import Contract
from silta_schemas.examples import CANCELLATION_EXAMPLE, CANCELLATION_REQUEST_EXAMPLE
from silta_schemas.text import ShortText


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
