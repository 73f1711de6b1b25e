"""Consultations (konsultaatio) between Kela and a county about a client: what a question and
an answer are made of (seed 003: consultations about individual clients are common; seed 004:
Kela's officers ask the social worker for judgement and consultation).

A question is asked with the client's consent to information exchange (the identity code and
the consent recorded) or anonymously (no client at all: its free text, like all free text, is
refused if it holds an identity code). It names its purposes from a code list; the answer may
carry only the fields those purposes allow (`ANSWER_FIELDS`), so that a question about a
contact person is never answered with an assessment of the client.

The two kinds are `kinds.consultation_request` and `kinds.consultation_answer`;
`consultations` is their public place.
"""

from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Final, Self

from pydantic import AwareDatetime, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, check_no_repeats
from silta_schemas.codes import ConsentMethod
from silta_schemas.identity import IdentityCode
from silta_schemas.text import FreeText, ShortText
from silta_schemas.work_contact import WorkContact, check_reachable


class ConsultationPurpose(StrEnum):
    """What a question is for; each allows some fields of the answer (`ANSWER_FIELDS`)."""

    SITUATION_ASSESSMENT = "situation_assessment"
    """Judgement on the client's situation (harkinta-apu), e.g. a move or a reduction."""
    SERVICE_NEED = "service_need"
    """Whether the client is a client of the other side's services."""
    CONTACT_PERSON = "contact_person"
    """Who works with the client there: a work contact."""
    BENEFIT_MATTER = "benefit_matter"
    """A benefit matter at Kela (a county asks): whether an application is pending."""


ANSWER_FIELDS: Final[Mapping[ConsultationPurpose, frozenset[str]]] = {
    ConsultationPurpose.SITUATION_ASSESSMENT: frozenset({"assessment"}),
    ConsultationPurpose.SERVICE_NEED: frozenset({"client_of_services"}),
    ConsultationPurpose.CONTACT_PERSON: frozenset({"contact"}),
    ConsultationPurpose.BENEFIT_MATTER: frozenset({"assessment", "application_pending"}),
}
"""The answer's content fields each purpose allows."""

CONTENT_FIELDS: Final = frozenset().union(*ANSWER_FIELDS.values())


class ConsultationStatus(StrEnum):
    """asked → answered | declined | expired (the deadline passed without an answer)."""

    ASKED = "asked"
    ANSWERED = "answered"
    DECLINED = "declined"
    EXPIRED = "expired"


class AnswerOutcome(StrEnum):
    ANSWERED = "answered"
    DECLINED = "declined"


class ConsultationConsent(Contract):
    """The client's consent to information exchange between Kela and the county."""

    given_at: AwareDatetime = Field(description="When the client gave it.")
    method: ConsentMethod = Field(description="How: in person, by phone, written, electronic.")
    recorded_by: ShortText = Field(description="Who recorded it (name of the official).")


class ConsultationClient(Contract):
    """The client a consultation is about: identity code and consent, nothing else."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )
    consent: ConsultationConsent = Field(
        description="The client's consent to information exchange (required)."
    )


class ConsultationQuestion(Contract):
    """What is asked: shared by the HTTP request and the bus payload."""

    purposes: tuple[ConsultationPurpose, ...] = Field(
        min_length=1, description="What the question is for; at least one, none repeated."
    )
    question: FreeText = Field(repr=False, description="The question; no identity code.")
    client: ConsultationClient | None = Field(
        default=None,
        description="The client, with consent; null for an anonymous consultation (then "
        "nothing in the question may identify the client).",
    )
    asker: WorkContact = Field(
        description="Who asks: work contact (name, title, unit, a work phone or email)."
    )

    @field_validator("purposes")
    @classmethod
    def _no_repeats(
        cls, purposes: tuple[ConsultationPurpose, ...]
    ) -> tuple[ConsultationPurpose, ...]:
        check_no_repeats(purposes, "consultation.purpose_duplicate", "a purpose is repeated")
        return purposes

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        check_reachable(self.asker)
        return self

    def check_consent_before(self, moment: datetime, rule: str) -> None:
        """The consent must precede the question."""
        if self.client is not None and self.client.consent.given_at > moment:
            raise PydanticCustomError(
                rule, "the client's consent must be given before the question is asked"
            )


class AnswerContent(Contract):
    """What an answer says: answered (some content the purposes allow) or declined (a
    reason, no content)."""

    outcome: AnswerOutcome = Field(description="`answered` or `declined`.")
    decline_reason: ShortText | None = Field(
        default=None, description="Why the question is declined: required with `declined` only."
    )
    assessment: FreeText | None = Field(
        default=None,
        repr=False,
        description="The answerer's view (purposes `situation_assessment`, `benefit_matter`).",
    )
    client_of_services: bool | None = Field(
        default=None, description="Whether the client is a client there (`service_need`)."
    )
    contact: WorkContact | None = Field(
        default=None, description="Who works with the client there (`contact_person`)."
    )
    application_pending: bool | None = Field(
        default=None, description="Whether a benefit application is pending (`benefit_matter`)."
    )
    answerer: WorkContact = Field(description="Who answers: work contact.")

    def given_content(self) -> list[str]:
        return sorted(name for name in CONTENT_FIELDS if getattr(self, name) is not None)

    @model_validator(mode="after")
    def _outcome_fits(self) -> Self:
        content = self.given_content()
        if self.outcome is AnswerOutcome.DECLINED:
            if self.decline_reason is None or content:
                raise PydanticCustomError(
                    "consultation_answer.declined_shape",
                    "a declined consultation gives decline_reason and no content",
                )
        elif self.decline_reason is not None or not content:
            raise PydanticCustomError(
                "consultation_answer.answered_shape",
                "an answer gives content the question's purposes allow, and no decline_reason",
            )
        check_reachable(self.answerer)
        return self


def beyond_purposes(purposes: Collection[ConsultationPurpose], answer: AnswerContent) -> str | None:
    """The first content field of ``answer`` that none of ``purposes`` allows, or None."""
    allowed = frozenset().union(*(ANSWER_FIELDS[purpose] for purpose in purposes))
    beyond = [name for name in answer.given_content() if name not in allowed]
    return beyond[0] if beyond else None
