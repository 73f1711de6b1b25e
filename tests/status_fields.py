"""The fields a status change may carry between the sides: status only, never the content of
the case. Written once for the tests that check it on the bus and in Kela's view."""

from __future__ import annotations

STATUS_CHANGE_FIELDS = frozenset(
    {
        "sequence",
        "status",
        "event",
        "outcome",
        "hold_reason",
        "reason",
        "forwarded_to_county",
        "changed_at",
        "changed_by",
        "changed_by_unit",
    }
)
"""A status change as Kela's side shows it in a referral's history."""

ACKNOWLEDGEMENT_FIELDS = STATUS_CHANGE_FIELDS | {"kind", "referral_id", "forwarded_to_municipality"}
"""A status acknowledgement's payload on the bus."""
