"""What every Kela → county referral request is made of: the client, the routing check, and
the fields Kela's side sets when a referral is new again or forwarded.

The referral kinds (`kinds.notice_of_need`, `kinds.basic_amount_reduction`,
`kinds.application_transfer`) are built from these parts and share one route.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Self, TypeVar
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract
from silta_schemas.identity import IdentityCode
from silta_schemas.parties import ClientContact, CountyCode, county_organisation
from silta_schemas.rejection import MessageRejected
from silta_schemas.routing import MunicipalityCode, RoutingError, county_for_municipality
from silta_schemas.spec import BY_KELA, Addressing, ReferralLink, Route
from silta_schemas.text import FreeText, ShortText


class Client(Contract):
    """The person referred. Only what the county needs to find and reach them."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )
    municipality_code: MunicipalityCode | None = Field(
        default=None,
        description="Municipality of residence (kotikunta): decides the receiving county. "
        "Required in a request to Kela's API unless `county_code` is given; under an address "
        "non-disclosure it never leaves Kela's side (the county gets `county_code` instead).",
    )
    county_code: CountyCode | None = Field(
        default=None,
        description="Only under an address non-disclosure, instead of `municipality_code`: "
        "the county, all that routing needs. Kela's side sets it when it sends such a "
        "referral; a case system may give it instead of the municipality.",
    )
    address_non_disclosure: bool = Field(
        default=False,
        description="Non-disclosure for personal safety (turvakielto): no address and no "
        "municipality is sent to the county, only the county code.",
    )
    contact: ClientContact | None = Field(
        default=None,
        repr=False,
        description="Contact details; only when the consent covers them or a legal exception "
        "applies.",
    )

    @model_validator(mode="after")
    def _one_location(self) -> Self:
        if self.municipality_code is None and self.county_code is None:
            raise PydanticCustomError(
                "client.municipality_required",
                "client.municipality_code is required: it decides the county",
                {"field": "municipality_code"},
            )
        if self.county_code is not None and not self.address_non_disclosure:
            raise PydanticCustomError(
                "client.county_code_not_allowed",
                "client.county_code is only for a client under an address non-disclosure: "
                "otherwise the municipality of residence decides the county",
                {"field": "county_code"},
            )
        if self.county_code is not None and self.municipality_code is not None:
            raise PydanticCustomError(
                "client.location_ambiguous",
                "give client.municipality_code or client.county_code, not both",
                {"field": "county_code"},
            )
        return self

    @property
    def location_withheld(self) -> bool:
        """True when the client is under a non-disclosure and nothing of their location but
        the county travels: what the county may receive."""
        return not self.address_non_disclosure or self.municipality_code is None

    @model_validator(mode="after")
    def _no_address_under_non_disclosure(self) -> Self:
        if self.address_non_disclosure and self.contact and self.contact.address:
            raise PydanticCustomError(
                "client.address_non_disclosure",
                "client.contact.address must be left out: the client has an address "
                "non-disclosure for personal safety (turvakielto, Population Information Act)",
            )
        return self


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


def check_routes(client: Client, info: ValidationInfo) -> Client:
    """The municipality of residence must map to a county on the day the notice was made."""
    made_at = info.data.get("made_at")
    if isinstance(made_at, datetime) and client.municipality_code is not None:
        try:
            county_for_municipality(client.municipality_code, made_at.date())
        except RoutingError as error:
            raise PydanticCustomError(
                error.rule, f"client.municipality_code: {error.message}"
            ) from None
    return client


def no_contact_details(what: str) -> Any:
    """The `client` validator of a referral sent by law: with no consent to cover them, the
    client's contact details must be left out (data minimisation)."""

    def check(client: Client) -> Client:
        if client.contact is not None:
            raise PydanticCustomError(
                "client.contact_not_covered",
                f"client.contact must be left out: {what} has no consent to cover contact "
                "details (data minimisation)",
            )
        return client

    return field_validator("client")(check)


class ReferralPayload(Contract):
    """Base of the referral kinds: made on a day, about a client whose municipality of
    residence routes the referral to its county. Declares no fields of its own, so each kind
    keeps its fields (and their order on the wire) in its own module."""

    if TYPE_CHECKING:
        made_at: datetime
        client: Client

    _routes = field_validator("client", check_fields=False)(check_routes)

    @property
    def county_code(self) -> str:
        """The county the client's municipality of residence routes to (under an address
        non-disclosure, the county the referral names instead)."""
        if self.client.municipality_code is None:
            assert self.client.county_code is not None  # the client's validator
            return self.client.county_code
        return county_for_municipality(self.client.municipality_code, self.made_at.date())


R = TypeVar("R", bound=ReferralPayload)


def for_county(referral: R) -> R:
    """The referral as the county may receive it: under an address non-disclosure
    (turvakielto) nothing of the client's location, only the county code routing needs
    (Population Information Act 661/2009 §36; routing is done on Kela's side)."""
    client = referral.client
    if client.location_withheld:
        return referral
    withheld = client.model_copy(
        update={"municipality_code": None, "county_code": referral.county_code}
    )
    return referral.model_copy(update={"client": withheld})


def no_location_under_non_disclosure(_: Addressing, referral: ReferralPayload) -> None:
    """The check of every referral kind, on send and on receipt: a client under an address
    non-disclosure travels with the county code only."""
    if not referral.client.location_withheld:
        raise MessageRejected(
            "client.location_under_non_disclosure",
            "client.municipality_code must not be sent: the client has an address "
            "non-disclosure, the county gets client.county_code only",
        )


def to_routed_county(addressing: Addressing, referral: ReferralPayload) -> str | None:
    """Recipient rule of every referral kind: the county the client's municipality routes to."""
    if addressing.recipient == county_organisation(referral.county_code):
        return None
    return "recipient must be the county the client's municipality of residence routes to"


KELA_TO_ROUTED_COUNTY: Final = Route(BY_KELA, to_routed_county, ReferralLink.REQUIRED)
"""The route of every referral kind: Kela sends it to the county the client's municipality
routes to, and it opens a referral (its envelope names the referral)."""
