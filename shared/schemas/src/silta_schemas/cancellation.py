"""Kela → county: Kela withdraws a referral it sent in error. The public place for the kind
(`kinds.cancellation`)."""

from silta_schemas.kinds.cancellation import Cancellation, CancellationRequest

__all__ = ["Cancellation", "CancellationRequest"]
