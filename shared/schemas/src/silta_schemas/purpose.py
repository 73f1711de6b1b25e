"""Why personal data crosses the bridge: the purpose every envelope states.

Each kind's purpose and legal basis are part of its specification (`silta_schemas.kinds`);
`registry.purpose_and_legal_basis` gives them for a payload.
"""

from enum import StrEnum


class Purpose(StrEnum):
    """Why personal data crosses the bridge (GDPR purpose limitation)."""

    SOCIAL_WELFARE_REFERRAL = "social_welfare_referral"
    BASIC_AMOUNT_REDUCTION_NOTICE = "basic_amount_reduction_notice"
    APPLICATION_TRANSFER = "application_transfer"
    REFERRAL_CANCELLATION = "referral_cancellation"
    REFERRAL_STATUS_FEEDBACK = "referral_status_feedback"
    SOCIAL_WORK_STATEMENT = "social_work_statement"
    RESPONSIBLE_WORKER_NOTICE = "responsible_worker_notice"
    COOPERATION_DIRECTORY = "cooperation_directory"
    CASE_MANAGER_SERVICE = "case_manager_service"
    COOPERATION_FOLLOW_UP = "cooperation_follow_up"
    DECISION_NOTICE = "decision_notice"
    CONSULTATION = "consultation"
