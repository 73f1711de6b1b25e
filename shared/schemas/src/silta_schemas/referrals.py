"""Kela → county referral requests: the HTTP body of Kela's API and the bus payload alike.

A new referral kind is one more model with a `kind` literal, added to `ReferralRequest`
and to `envelope.PAYLOAD_MODELS`.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract
from silta_schemas.codes import (
    AssistanceType,
    ConsentMethod,
    ConsentScope,
    ExpenseCategory,
    LegalExceptionGround,
    SupportNeed,
    TriggerSituation,
    Urgency,
)
from silta_schemas.examples import (
    APPLICATION_TRANSFER_EXAMPLE,
    BASIC_AMOUNT_REDUCTION_EXAMPLE,
    NOTICE_OF_NEED_EXAMPLE,
)
from silta_schemas.identity import IdentityCode
from silta_schemas.parties import ClientContact, CountyCode, KelaContact
from silta_schemas.routing import MunicipalityCode, RoutingError, county_for_municipality
from silta_schemas.text import FreeText, ShortText


class Client(Contract):
    """The person referred. Only what the county needs to find and reach them."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )
    municipality_code: MunicipalityCode = Field(
        description="Municipality of residence (kotikunta): decides the receiving county."
    )
    address_non_disclosure: bool = Field(
        default=False,
        description="Non-disclosure for personal safety (turvakielto): no address may be sent.",
    )
    contact: ClientContact | None = Field(
        default=None,
        repr=False,
        description="Contact details; only when the consent covers them or a legal exception "
        "applies.",
    )

    @model_validator(mode="after")
    def _no_address_under_non_disclosure(self) -> Self:
        if self.address_non_disclosure and self.contact and self.contact.address:
            raise PydanticCustomError(
                "client.address_non_disclosure",
                "client.contact.address must be left out: the client has an address "
                "non-disclosure for personal safety (turvakielto, Population Information Act)",
            )
        return self


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
        if len(set(covers)) != len(covers):
            raise PydanticCustomError(
                "basis.consent_scope_duplicate", "basis.covers lists a scope more than once"
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


Basis = Annotated[
    ConsentBasis | LegalExceptionBasis,
    Field(discriminator="type", description="Exactly one basis: consent or a legal exception."),
]


class ForwardedFrom(Contract):
    """Where a forwarded referral comes from: the county that answered "not ours"."""

    referral_id: UUID = Field(description="The referral as it was sent to that county.")
    county_code: CountyCode = Field(description="The county that forwarded it.")
    reason: FreeText = Field(repr=False, description="Why that county forwarded it.")


NewReferralReason = Annotated[
    ShortText | None,
    Field(
        default=None,
        repr=False,
        description=(
            "Why a new referral is needed although the client already has an open one of "
            "this kind at the county; without it such a referral is not created (duplicates)."
        ),
    ),
]
Forwarding = Annotated[
    ForwardedFrom | None,
    Field(
        default=None,
        description="Set by Kela's side only, when it re-sends a referral that a county "
        "forwarded to the right county; never in a request to Kela's API.",
    ),
]


def _check_routes(client: Client, info: ValidationInfo) -> Client:
    """The municipality of residence must map to a county on the day the notice was made."""
    made_at = info.data.get("made_at")
    if isinstance(made_at, datetime):
        try:
            county_for_municipality(client.municipality_code, made_at.date())
        except RoutingError as error:
            raise PydanticCustomError(
                error.rule, f"client.municipality_code: {error.message}"
            ) from None
    return client


class NoticeOfNeed(Contract):
    """Notice of need for social welfare (sosiaalihuollon tarpeen ilmoitus), SWA 1301/2014 §35."""

    model_config = ConfigDict(json_schema_extra={"examples": [NOTICE_OF_NEED_EXAMPLE]})

    kind: Literal["notice_of_need"] = Field(description="Message kind discriminator.")
    made_at: AwareDatetime = Field(description="When Kela made the notice.")
    client: Client = Field(description="The client referred.")
    support_needs: tuple[SupportNeed, ...] = Field(
        min_length=1, description="Support needs of Social Welfare Act §11 (codes 1-10)."
    )
    trigger: TriggerSituation = Field(description="The situation that made Kela refer.")
    trigger_description: ShortText | None = Field(
        default=None,
        validate_default=True,
        repr=False,
        description="What the situation is; required when trigger is other.",
    )
    description: FreeText = Field(repr=False, description="The concern, briefly.")
    basis: Basis
    kela_contact: KelaContact = Field(description="Whom at Kela the county can contact.")
    urgency: Urgency = Field(default=Urgency.NORMAL, description="How soon to act.")
    new_referral_reason: NewReferralReason
    forwarded_from: Forwarding

    _routes = field_validator("client")(_check_routes)

    @field_validator("support_needs")
    @classmethod
    def _no_duplicate_needs(cls, needs: tuple[SupportNeed, ...]) -> tuple[SupportNeed, ...]:
        if len(set(needs)) != len(needs):
            raise PydanticCustomError(
                "support_needs.duplicate", "support_needs lists a support need more than once"
            )
        return needs

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
    def county_code(self) -> str:
        """The county the client's municipality of residence routes to."""
        return county_for_municipality(self.client.municipality_code, self.made_at.date())

    @property
    def is_child_welfare_notice(self) -> bool:
        """True for a child welfare notice (Child Welfare Act 417/2007 §25)."""
        return (
            isinstance(self.basis, LegalExceptionBasis)
            and self.basis.ground == LegalExceptionGround.CHILD_INTEREST
        )


class NoticeOfBasicAmountReduction(Contract):
    """Notice of basic amount reduction (perusosan alentaminen), Act on Social Assistance §10.

    Sent by law whenever Kela reduces the basic amount: no consent, so no contact details.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [BASIC_AMOUNT_REDUCTION_EXAMPLE]})

    kind: Literal["basic_amount_reduction"] = Field(description="Message kind discriminator.")
    made_at: AwareDatetime = Field(description="When Kela made the notice.")
    client: Client = Field(description="The client whose basic amount was reduced.")
    reduction_percent: Literal[20, 40] = Field(description="Reduction of the basic amount, %.")
    decision_date: date = Field(description="Date of Kela's reduction decision.")
    period_start: date = Field(description="First day of the reduction.")
    period_end: date = Field(description="Last day of the reduction.")
    kela_contact: KelaContact = Field(description="Whom at Kela the county can contact.")
    new_referral_reason: NewReferralReason
    forwarded_from: Forwarding

    @model_validator(mode="before")
    @classmethod
    def _no_basis(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("basis" in data or "consent" in data):
            raise PydanticCustomError(
                "basis.not_allowed",
                "a notice of basic amount reduction is sent by law (ASA §10) and carries "
                "no consent",
            )
        return data

    _routes = field_validator("client")(_check_routes)

    @field_validator("client")
    @classmethod
    def _no_contact(cls, client: Client) -> Client:
        return _without_contact(client, "a notice of basic amount reduction")

    @field_validator("period_end")
    @classmethod
    def _period_order(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("period_start")
        if isinstance(start, date) and end < start:
            raise PydanticCustomError("period.order", "period_end must not be before period_start")
        return end

    @property
    def county_code(self) -> str:
        """The county the client's municipality of residence routes to."""
        return county_for_municipality(self.client.municipality_code, self.made_at.date())


def _without_contact(client: Client, what: str) -> Client:
    if client.contact is not None:
        raise PydanticCustomError(
            "client.contact_not_covered",
            f"client.contact must be left out: {what} has no consent to cover contact "
            "details (data minimisation)",
        )
    return client


class ApplicantRequest(Contract):
    """The applicant's request that Kela transfer the application (ASA §14)."""

    requested_at: AwareDatetime = Field(description="When the applicant asked for the transfer.")
    method: ConsentMethod = Field(description="How the applicant asked.")


class KelaDecision(Contract):
    """Kela's own decision on basic assistance that the transferred application belongs to."""

    reference: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/-]{2,39}$",
        description="Kela's reference (diaarinumero) of the decision.",
        examples=["TO-2026-0412345"],
    )
    decided_on: date = Field(description="Date of Kela's decision.")


class ApplicationTransfer(Contract):
    """Transfer of an application (hakemuksen siirto), Act on Social Assistance 1412/1997 §14.

    At the applicant's request Kela forwards the part of an application that basic assistance
    does not cover to the county, which decides on supplementary or preventive assistance
    within its deadline (default 7 working days, configurable). No consent, no contact details:
    only what the county needs to take up the application.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [APPLICATION_TRANSFER_EXAMPLE]})

    kind: Literal["application_transfer"] = Field(description="Message kind discriminator.")
    made_at: AwareDatetime = Field(description="When Kela made the transfer.")
    client: Client = Field(description="The applicant.")
    applicant_request: ApplicantRequest = Field(description="The applicant's request recorded.")
    application_received_on: date = Field(description="When Kela received the application.")
    kela_decision: KelaDecision = Field(description="Kela's decision on basic assistance.")
    assistance_sought: tuple[AssistanceType, ...] = Field(
        min_length=1, description="What the county is to decide on: supplementary, preventive."
    )
    expense_categories: tuple[ExpenseCategory, ...] = Field(
        min_length=1, description="The expenses basic assistance does not cover."
    )
    expense_description: ShortText | None = Field(
        default=None,
        validate_default=True,
        repr=False,
        description="What the other expenses are; required when expense_categories has other.",
    )
    kela_contact: KelaContact = Field(description="Whom at Kela the county can contact.")
    urgency: Urgency = Field(
        default=Urgency.NORMAL, description="Urgent shortens the county's decision deadline."
    )
    new_referral_reason: NewReferralReason
    forwarded_from: Forwarding

    _routes = field_validator("client")(_check_routes)

    @field_validator("client")
    @classmethod
    def _no_contact(cls, client: Client) -> Client:
        return _without_contact(client, "an application transfer")

    @field_validator("applicant_request")
    @classmethod
    def _requested_before_transfer(
        cls, request: ApplicantRequest, info: ValidationInfo
    ) -> ApplicantRequest:
        made_at = info.data.get("made_at")
        if isinstance(made_at, datetime) and request.requested_at > made_at:
            raise PydanticCustomError(
                "transfer.request_after_transfer",
                "applicant_request.requested_at is after made_at: Kela transfers an "
                "application only at the applicant's request (ASA 1412/1997 §14)",
            )
        return request

    @field_validator("assistance_sought", "expense_categories")
    @classmethod
    def _no_duplicates(cls, values: tuple[StrEnum, ...], info: ValidationInfo) -> Any:
        if len(set(values)) != len(values):
            raise PydanticCustomError(
                f"{info.field_name}.duplicate", f"{info.field_name} lists a value more than once"
            )
        return values

    @field_validator("expense_description")
    @classmethod
    def _describe_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and ExpenseCategory.OTHER in info.data.get("expense_categories", ()):
            raise PydanticCustomError(
                "expense_description.required",
                "expense_description is required when expense_categories includes other",
            )
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.kela_decision.decided_on < self.application_received_on:
            raise PydanticCustomError(
                "transfer.decision_before_application",
                "kela_decision.decided_on is before application_received_on",
            )
        if self.kela_decision.decided_on > self.made_at.date():
            raise PydanticCustomError(
                "transfer.decision_after_transfer",
                "kela_decision.decided_on is after made_at: the transfer carries the reference "
                "of a decision Kela has made",
            )
        return self

    @property
    def county_code(self) -> str:
        """The county the client's municipality of residence routes to."""
        return county_for_municipality(self.client.municipality_code, self.made_at.date())


ReferralRequest = Annotated[
    NoticeOfNeed | NoticeOfBasicAmountReduction | ApplicationTransfer,
    Field(discriminator="kind"),
]
"""Any Kela → county referral request, told apart by `kind`."""

referral_adapter: TypeAdapter[ReferralRequest] = TypeAdapter(
    ReferralRequest, config=ConfigDict(hide_input_in_errors=True)
)
"""Validates a referral request body; like the models, keeps input out of error text."""
