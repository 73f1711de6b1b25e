"""What Kela's side decides about what the counties send besides acknowledgements (statements,
responsible workers): pure rules, no I/O."""

from __future__ import annotations

from silta_schemas.errors import RuleRefused


def check_referral_of_sender(referral_recipient: str | None, sender: str, what: str) -> None:
    """A county's message about a referral must be about one Kela sent to that county.

    ``referral_recipient`` is the referral's recipient, None if Kela has no such referral.
    """
    if referral_recipient is None:
        raise RuleRefused("referral.unknown", "no such referral at Kela")
    if referral_recipient != sender:
        raise RuleRefused(
            f"{what}.wrong_county", "the referral was sent to another county than the sender"
        )


def check_same_sender(stored_sender: str, sender: str) -> None:
    """A statement id already taken by another county's statement."""
    if stored_sender != sender:
        raise RuleRefused(
            "statement.duplicate_id", "another county's statement has this statement_id"
        )
