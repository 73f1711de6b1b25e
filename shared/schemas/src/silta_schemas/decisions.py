"""Decisions back to Kela: the public place of the decision-notice kind
(`kinds.decision_notice`)."""

from silta_schemas.kinds.decision_notice import (
    DecisionNotice,
    DecisionNoticeRequest,
    DecisionNoticeSearch,
    DecisionOutcome,
    DecisionType,
)
from silta_schemas.kinds.decision_notice_receipt import DecisionNoticeReceipt

__all__ = [
    "DecisionNotice",
    "DecisionNoticeReceipt",
    "DecisionNoticeRequest",
    "DecisionNoticeSearch",
    "DecisionOutcome",
    "DecisionType",
]
