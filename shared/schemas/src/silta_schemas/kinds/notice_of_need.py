"""Kela → county: notice of need for social welfare (sosiaalihuollon tarpeen ilmoitus),
Social Welfare Act 1301/2014 §35, on the client's consent or a legal exception."""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, check_no_repeats, no_repeats, with_examples
from silta_schemas.code_lists import CHECKLIST_CODE_PATTERN, CodeListName, described
from silta_schemas.codes import (
    ConsentMethod,
    ConsentScope,
    LegalExceptionGround,
    SupportNeed,
    TriggerSituation,
    Urgency,
)
from silta_schemas.examples import NOTICE_OF_NEED_EXAMPLE
from silta_schemas.parties import KelaContact
from silta_schemas.purpose import Purpose
from silta_schemas.referral_parts import (
    KELA_TO_ROUTED_COUNTY,
    Client,
    Forwarding,
    NewReferralReason,
    ReferralPayload,
    no_location_under_non_disclosure,
)
from silta_schemas.spec import Grounds, KindSpec
from silta_schemas.text import FreeText, ShortText

SWA_35_CONSENT = "Social Welfare Act 1301/2014 §35 (consent)"
SWA_35 = "Social Welfare Act 1301/2014 §35"
CWA_25 = "Child Welfare Act 417/2007 §25"


class ConsentBasis(Contract):
    """The client's consent (suostumus) to the notice, Social Welfare Act 1301/2014 §35."""

    type: Literal["consent"] = Field(description="Discriminator: consent.")
    given_at: AwareDatetime = Field(description="When the client gave consent.")
    method: ConsentMethod = Field(description="How consent was given.")
    recorded_by: ShortText = Field(description="The Kela official who recorded the consent.")
    covers: tuple[ConsentScope, ...] = Field(
        min_length=1, description="What the consent covers; must include notice_of_need."
    )

    @field_validator("covers")
    @classmethod
    def _covers_the_notice(cls, covers: tuple[ConsentScope, ...]) -> tuple[ConsentScope, ...]:
        check_no_repeats(
            covers, "basis.consent_scope_duplicate", "basis.covers lists a scope more than once"
        )
        if ConsentScope.NOTICE_OF_NEED not in covers:
            raise PydanticCustomError(
                "basis.consent_scope",
                "the consent must cover notice_of_need: without it the notice needs a legal "
                "exception (Social Welfare Act 1301/2014 §35)",
            )
        return covers


class LegalExceptionBasis(Contract):
    """A notice without consent, where the law requires it regardless of confidentiality."""

    type: Literal["legal_exception"] = Field(description="Discriminator: legal_exception.")
    ground: LegalExceptionGround = Field(description="Which legal exception applies.")
    justification: FreeText = Field(
        repr=False, description="Why consent could not be obtained and the exception applies."
    )


ChecklistCode = Annotated[str, Field(pattern=CHECKLIST_CODE_PATTERN)]


class ServiceNeedChecklist(Contract):
    """What Kela's officer identified with the service-need checklist (like the AVAIN
    indicator): codes only, from the deployment's list, never free text."""

    items: tuple[ChecklistCode, ...] = Field(
        min_length=1,
        max_length=40,
        description=described(
            CodeListName.SERVICE_NEED_CHECKLIST,
            "The items identified, each once. The default list is below; a deployment may "
            "keep fewer or add its own (`GET /v1/code-lists/service_need_checklist` lists what "
            "it accepts, anything else is refused).",
        ),
    )

    _each_once = no_repeats(
        "items", "checklist.duplicate", "service_need_checklist.items lists an item twice"
    )


Basis = Annotated[
    ConsentBasis | LegalExceptionBasis,
    Field(discriminator="type", description="Exactly one basis: consent or a legal exception."),
]


class NoticeOfNeed(ReferralPayload):
    """Notice of need for social welfare (sosiaalihuollon tarpeen ilmoitus), SWA 1301/2014 §35."""

    model_config = with_examples(NOTICE_OF_NEED_EXAMPLE)

    kind: Literal["notice_of_need"] = Field(description="Message kind discriminator.")
    made_at: AwareDatetime = Field(description="When Kela made the notice.")
    client: Client = Field(description="The client referred.")
    support_needs: tuple[SupportNeed, ...] = Field(
        min_length=1,
        description=described(
            CodeListName.SUPPORT_NEEDS, "Support needs of Social Welfare Act §11 (codes 1-10)."
        ),
    )
    trigger: TriggerSituation = Field(
        description=described(CodeListName.TRIGGERS, "The situation that made Kela refer.")
    )
    trigger_description: ShortText | None = Field(
        default=None,
        validate_default=True,
        repr=False,
        description="What the situation is; required when trigger is other.",
    )
    description: FreeText = Field(repr=False, description="The concern, briefly.")
    service_need_checklist: ServiceNeedChecklist | None = Field(
        default=None,
        repr=False,
        description="Optional: the items of the service-need checklist the officer identified.",
    )
    basis: Basis
    kela_contact: KelaContact = Field(description="Whom at Kela the county can contact.")
    urgency: Urgency = Field(default=Urgency.NORMAL, description="How soon to act.")
    new_referral_reason: NewReferralReason
    forwarded_from: Forwarding

    _no_duplicate_needs = no_repeats(
        "support_needs",
        "support_needs.duplicate",
        "support_needs lists a support need more than once",
    )

    @field_validator("trigger_description")
    @classmethod
    def _describe_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("trigger") == TriggerSituation.OTHER:
            raise PydanticCustomError(
                "trigger.description_required",
                "trigger_description is required when trigger is other",
            )
        return value

    @field_validator("basis")
    @classmethod
    def _consent_before_notice(
        cls, basis: ConsentBasis | LegalExceptionBasis, info: ValidationInfo
    ) -> ConsentBasis | LegalExceptionBasis:
        made_at = info.data.get("made_at")
        if (
            isinstance(basis, ConsentBasis)
            and isinstance(made_at, datetime)
            and basis.given_at > made_at
        ):
            raise PydanticCustomError(
                "basis.consent_after_notice",
                "basis.given_at is after made_at: consent given after the notice was made "
                "does not cover it (Social Welfare Act 1301/2014 §35)",
            )
        return basis

    @model_validator(mode="after")
    def _contact_covered(self) -> Self:
        if self.client.contact is not None and not self.contact_details_allowed:
            raise PydanticCustomError(
                "client.contact_not_covered",
                "client.contact may be sent only when the consent covers contact_details "
                "or a legal exception applies (data minimisation)",
            )
        return self

    @property
    def contact_details_allowed(self) -> bool:
        """True if the basis lets the notice carry the client's contact details."""
        if isinstance(self.basis, ConsentBasis):
            return ConsentScope.CONTACT_DETAILS in self.basis.covers
        return True

    @property
    def is_child_welfare_notice(self) -> bool:
        """True for a child welfare notice (Child Welfare Act 417/2007 §25)."""
        return (
            isinstance(self.basis, LegalExceptionBasis)
            and self.basis.ground == LegalExceptionGround.CHILD_INTEREST
        )


def legal_basis(notice: NoticeOfNeed) -> str:
    """Consent, a child's interest (child welfare notice) or §35's own exception."""
    if isinstance(notice.basis, ConsentBasis):
        return SWA_35_CONSENT
    return CWA_25 if notice.is_child_welfare_notice else SWA_35


SPEC = KindSpec(
    payload=NoticeOfNeed,
    route=KELA_TO_ROUTED_COUNTY,
    grounds=Grounds(Purpose.SOCIAL_WELFARE_REFERRAL, legal_basis),
    check=no_location_under_non_disclosure,
)
