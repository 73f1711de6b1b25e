"""Decisions back to Kela: the public place of the decision-notice kind
(`kinds.decision_notice`)."""

from silta_schemas.kinds.decision_notice import (
    DecisionNotice,
    DecisionNoticeRequest,
    DecisionNoticeSearch,
    DecisionOutcome,
    DecisionType,
)

__all__ = [
    "DecisionNotice",
    "DecisionNoticeRequest",
    "DecisionNoticeSearch",
    "DecisionOutcome",
    "DecisionType",
]
