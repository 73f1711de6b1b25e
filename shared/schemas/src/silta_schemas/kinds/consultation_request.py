"""Either way: a consultation request, Kela → one county or a county → Kela: a question about
a client with the client's consent, or anonymous (see `silta_schemas.consultation_parts`)."""

from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from silta_schemas._base import with_examples
from silta_schemas.consultation_parts import ConsultationQuestion
from silta_schemas.cooperation_examples import (
    CONSULTATION_EXAMPLE,
    CONSULTATION_REQUEST_EXAMPLE,
)
from silta_schemas.parties import CountyCode
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_EITHER, Grounds, KindSpec, ReferralLink, Route, to_the_other_side

WITH_CONSENT = (
    "Act on Social Assistance 1412/1997 §14a (cooperation), with the client's consent to "
    "information exchange"
)
ANONYMOUS = "Act on Social Assistance 1412/1997 §14a (cooperation): anonymous, no personal data"


class ConsultationRequestBody(ConsultationQuestion):
    """What a case or client information system sends: `POST /v1/consultations`."""

    model_config = with_examples(CONSULTATION_REQUEST_EXAMPLE)

    county_code: CountyCode = Field(
        description="On Kela's side, the county asked; on a county's side, the county asking "
        "(one this deployment serves)."
    )


class ConsultationRequest(ConsultationQuestion):
    """Bus payload, either way: the question, its deadline, and the client or none."""

    model_config = with_examples(CONSULTATION_EXAMPLE)

    kind: Literal["consultation_request"] = Field(description="Message kind discriminator.")
    consultation_id: UUID = Field(description="The consultation's id, shared by both sides.")
    asked_at: AwareDatetime = Field(description="When the question was asked.")
    due_at: AwareDatetime = Field(
        description="When the answer is due (working days, Finnish holidays); past it "
        "unanswered, the consultation expires."
    )

    @model_validator(mode="after")
    def _consent_first(self) -> Self:
        self.check_consent_before(self.asked_at, "consultation.consent_after_question")
        return self


def _basis(request: ConsultationRequest) -> str:
    return ANONYMOUS if request.client is None else WITH_CONSENT


SPEC = KindSpec(
    payload=ConsultationRequest,
    route=Route(BY_EITHER, to_the_other_side, ReferralLink.NONE),
    grounds=Grounds(Purpose.CONSULTATION, _basis),
)
