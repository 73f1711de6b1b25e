"""What a county's side decides about the statements it sends and Kela's receipts of them:
pure rules, no I/O.

A statement of social work is sent by the county's own deployment, about a client or about a
referral Kela sent to that county. With an Idempotency-Key, the same request again answers
with the statement it created; the same key with another body is refused. Kela's receipt
records when Kela's side stored the statement, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from silta_schemas.errors import RuleRefused


def check_county_served(county_code: str, served: frozenset[str], what: str = "statement") -> None:
    """What a county tells Kela (``what``: a statement, a decision notice, ...) is sent by
    that county's own deployment."""
    if county_code not in served:
        raise RuleRefused(
            f"{what}.county_not_served",
            f"this deployment does not serve that county: a {what.replace('_', ' ')} is sent "
            "by the county's own deployment",
            field="county_code",
        )


def check_statement_referral(referral_county: str | None, county_code: str) -> None:
    """A statement may name only a referral Kela sent to the county giving the statement."""
    if referral_county is None:
        raise RuleRefused(
            "statement.referral_unknown", "no such referral at this county", field="referral_id"
        )
    if referral_county != county_code:
        raise RuleRefused(
            "statement.referral_other_county",
            "the referral was sent to another county than the one giving the statement",
            field="referral_id",
        )


@dataclass(frozen=True)
class SentStatement:
    """A statement this side sent, as far as Kela's receipt of it matters."""

    county: str
    """The county that sent it (``county-NN``)."""
    received_by_kela_at: datetime | None


def receipt_time(
    sent: SentStatement | None, recipient: str, received_at: datetime
) -> datetime | None:
    """When Kela received the statement, to record; None if already recorded (a repeated
    receipt changes nothing: the first one's time stays).

    Raises ``RuleRefused`` for a receipt of a statement this side did not send
    (``statement.unknown``) or addressed to another county than the one that sent it.
    """
    if sent is None:
        raise RuleRefused("statement.unknown", "no such statement here")
    if recipient != sent.county:
        raise RuleRefused(
            "statement_receipt.wrong_county",
            "the receipt is addressed to another county than the one that sent it",
        )
    return received_at if sent.received_by_kela_at is None else None
