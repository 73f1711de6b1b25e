"""County → Kela: a supplementary (täydentävä) or preventive (ehkäisevä) social assistance
decision was made for a client, or an activation plan (aktivointisuunnitelma): its type, its
date and whether it granted or refused, never its content (seed 004: Kela's officers want to
know of these decisions and plans; DOMAIN rule 3, data minimisation).

The legal basis is the county's configuration (`legal_basis`, stated in the envelope too):
DOMAIN.md asks that a section other than §5 be kept in configuration and confirmed against
Finlex; Kela's side accepts only the bases it is configured to."""

from datetime import date
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, with_examples
from silta_schemas.client_identity import IdentifiedClient
from silta_schemas.client_lookup import ClientLookup
from silta_schemas.cooperation_examples import (
    DECISION_NOTICE_EXAMPLE,
    DECISION_NOTICE_REQUEST_EXAMPLE,
    DECISION_NOTICE_SEARCH_EXAMPLE,
)
from silta_schemas.parties import CountyCode
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_COUNTY, Grounds, KindSpec, ReferralLink, Route, to_kela
from silta_schemas.text import ShortText


class DecisionType(StrEnum):
    """What the county made (seed 004: what Kela's officers want to know of)."""

    SUPPLEMENTARY_ASSISTANCE = "supplementary_assistance"
    """A decision on supplementary social assistance (täydentävä toimeentulotuki, ASA §7c)."""
    PREVENTIVE_ASSISTANCE = "preventive_assistance"
    """A decision on preventive social assistance (ehkäisevä toimeentulotuki, ASA §13)."""
    ACTIVATION_PLAN = "activation_plan"
    """An activation plan (aktivointisuunnitelma) was made: no outcome."""


class DecisionOutcome(StrEnum):
    """Whether an assistance decision granted or refused: nothing of what or how much."""

    GRANTED = "granted"
    REFUSED = "refused"


class DecisionFacts(Contract):
    """What a decision notice says: the fact of the decision, never its content."""

    client: IdentifiedClient = Field(description="The client the decision was made for.")
    decision_type: DecisionType = Field(
        description="`supplementary_assistance`, `preventive_assistance` or `activation_plan`."
    )
    decided_on: date = Field(description="The date of the decision or of the plan.")
    outcome: DecisionOutcome | None = Field(
        default=None,
        description="`granted` or `refused`: required for an assistance decision, absent for an "
        "activation plan.",
    )

    @model_validator(mode="after")
    def _outcome_fits_the_type(self) -> Self:
        plan = self.decision_type is DecisionType.ACTIVATION_PLAN
        if plan and self.outcome is not None:
            raise PydanticCustomError(
                "decision_notice.outcome_not_for_plan",
                "an activation plan has no outcome: leave outcome out",
                {"field": "outcome"},
            )
        if not plan and self.outcome is None:
            raise PydanticCustomError(
                "decision_notice.outcome_required",
                "an assistance decision says whether it granted or refused: outcome",
                {"field": "outcome"},
            )
        return self


class DecisionNoticeRequest(DecisionFacts):
    """What a county's client information system sends: `POST /v1/decision-notices`."""

    model_config = with_examples(DECISION_NOTICE_REQUEST_EXAMPLE)

    county_code: CountyCode = Field(
        description="The county that made the decision; one this deployment serves."
    )


class DecisionNotice(DecisionFacts):
    """Bus payload, county → Kela: a decision was made for a client. No referral."""

    model_config = with_examples(DECISION_NOTICE_EXAMPLE)

    kind: Literal["decision_notice"] = Field(description="Message kind discriminator.")
    notice_id: UUID = Field(description="The notice's id, shared by both sides.")
    legal_basis: ShortText = Field(
        description="The provision the county discloses the fact under (its configuration); "
        "the envelope's `legal_basis` is the same."
    )


class DecisionNoticeSearch(ClientLookup):
    """Kela's officer asks for one client's decision notices."""

    model_config = with_examples(DECISION_NOTICE_SEARCH_EXAMPLE)


def _stated_basis(notice: DecisionNotice) -> str:
    return notice.legal_basis


SPEC = KindSpec(
    payload=DecisionNotice,
    route=Route(BY_COUNTY, to_kela, ReferralLink.NONE),
    grounds=Grounds(Purpose.DECISION_NOTICE, _stated_basis),
)
