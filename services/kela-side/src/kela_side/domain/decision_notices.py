"""What Kela's side decides about the decision notices the counties send: pure rules."""

from __future__ import annotations

from collections.abc import Collection

from silta_schemas.errors import RuleRefused


def check_basis_accepted(legal_basis: str, accepted: Collection[str]) -> None:
    """Kela takes a notice only under a legal basis it is configured to accept
    (``KELA_SIDE_DECISION_NOTICE_LEGAL_BASES``)."""
    if legal_basis not in accepted:
        raise RuleRefused(
            "decision_notice.legal_basis_not_accepted",
            "Kela's side is not configured to accept decision notices under this legal basis",
        )


def check_same_county(stored_sender: str | None, sender: str, what: str) -> bool:
    """True if the record is new; False if the sender sent it before (a repeat changes
    nothing). Another county's record with the same id: ``<what>.duplicate_id``."""
    if stored_sender is None:
        return True
    if stored_sender != sender:
        raise RuleRefused(f"{what}.duplicate_id", f"another county's {what} has this id")
    return False
