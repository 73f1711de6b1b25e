"""Status of a referral as the county reports it: status only, never case content.

The public place for both halves: the codes and rules (`referral_status`) and the county's
report of a change (`kinds.status_acknowledgement`).
"""

from silta_schemas.kinds.status_acknowledgement import StatusAcknowledgement, StatusUpdate
from silta_schemas.referral_status import (
    REASON_ALLOWED,
    REASON_REQUIRED,
    Outcome,
    ProgressEvent,
    ReferralStatus,
    check_forwarding,
    check_status_details,
)

__all__ = [
    "REASON_ALLOWED",
    "REASON_REQUIRED",
    "Outcome",
    "ProgressEvent",
    "ReferralStatus",
    "StatusAcknowledgement",
    "StatusUpdate",
    "check_forwarding",
    "check_status_details",
]
