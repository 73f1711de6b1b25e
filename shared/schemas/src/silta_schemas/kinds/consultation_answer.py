"""Either way: the answer to a consultation request, from the side asked to the side that
asked: answered, with only the content the question's purposes allow, or declined."""

from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import with_examples
from silta_schemas.consultation_parts import AnswerContent, ConsultationPurpose, beyond_purposes
from silta_schemas.cooperation_examples import (
    CONSULTATION_ANSWER_EXAMPLE,
    CONSULTATION_ANSWER_REQUEST_EXAMPLE,
)
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_EITHER, Grounds, KindSpec, ReferralLink, Route, to_the_other_side

WITHIN_PURPOSES = (
    "Act on Social Assistance 1412/1997 §14a (cooperation): the answer to a consultation, "
    "within the question's purposes"
)


class ConsultationAnswerBody(AnswerContent):
    """What the side asked sends: `POST /v1/consultations/{id}/answer`."""

    model_config = with_examples(CONSULTATION_ANSWER_REQUEST_EXAMPLE)


class ConsultationAnswer(AnswerContent):
    """Bus payload, either way: the answer, and the question's purposes it keeps to."""

    model_config = with_examples(CONSULTATION_ANSWER_EXAMPLE)

    kind: Literal["consultation_answer"] = Field(description="Message kind discriminator.")
    consultation_id: UUID = Field(description="The consultation answered.")
    answered_at: AwareDatetime = Field(description="When it was answered or declined.")
    purposes: tuple[ConsultationPurpose, ...] = Field(
        min_length=1, description="The question's purposes: they decide the content allowed."
    )

    @model_validator(mode="after")
    def _within_purposes(self) -> Self:
        beyond = beyond_purposes(self.purposes, self)
        if beyond is not None:
            raise PydanticCustomError(
                "consultation_answer.beyond_purpose",
                "the answer carries {field}, which none of the question's purposes allows",
                {"field": beyond},
            )
        return self


SPEC = KindSpec(
    payload=ConsultationAnswer,
    route=Route(BY_EITHER, to_the_other_side, ReferralLink.NONE),
    grounds=Grounds(Purpose.CONSULTATION, WITHIN_PURPOSES),
)
