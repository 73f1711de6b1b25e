"""Consultations between Kela and a county: the public place of what they are made of
(`consultation_parts`) and the two kinds (`kinds.consultation_request`,
`kinds.consultation_answer`)."""

from silta_schemas.consultation_parts import (
    ANSWER_FIELDS,
    AnswerContent,
    AnswerOutcome,
    ConsultationClient,
    ConsultationConsent,
    ConsultationPurpose,
    ConsultationQuestion,
    ConsultationStatus,
    beyond_purposes,
)
from silta_schemas.kinds.consultation_answer import ConsultationAnswer, ConsultationAnswerBody
from silta_schemas.kinds.consultation_request import (
    ConsultationRequest,
    ConsultationRequestBody,
)

__all__ = [
    "ANSWER_FIELDS",
    "AnswerContent",
    "AnswerOutcome",
    "ConsultationAnswer",
    "ConsultationAnswerBody",
    "ConsultationClient",
    "ConsultationConsent",
    "ConsultationPurpose",
    "ConsultationQuestion",
    "ConsultationRequest",
    "ConsultationRequestBody",
    "ConsultationStatus",
    "beyond_purposes",
]
