"""Kela → the client's county: a cooperation case (yhteistyöasiakkuus) for the follow-up of a
long cooperation (seed 004): it ties one client's referrals, statements, case-manager periods
and consultations together, by id only, with a follow-up date.

Kela opens, follows up and closes the case (seed 004: Kela's own follow-up of municipal
cooperation); the county learns of each step by this message and lists the cases due for
follow-up too. Every message carries the case whole; the county keeps the newest by
`recorded_at`. Links are ids the two sides share, never content: a consultation is linked by
its id as an opaque reference.
"""

from datetime import date
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, check_no_repeats, with_examples
from silta_schemas.cooperation_examples import (
    COOPERATION_CASE_EXAMPLE,
    COOPERATION_CASE_REQUEST_EXAMPLE,
)
from silta_schemas.cooperation_parts import (
    COOPERATION_ON_A_SHARED_CLIENT,
    ClientIdentity,
    RoutedClient,
    check_order,
    to_client_county,
)
from silta_schemas.parties import CountyCode
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_KELA, Grounds, KindSpec, ReferralLink, Route

COOPERATION_FOLLOW_UP = (
    f"{COOPERATION_ON_A_SHARED_CLIENT}: follow-up of a shared client's cooperation (ids and "
    "dates, no case content)"
)

WRONG_RECIPIENT = "a cooperation case goes to the client's county (county_code)"
MAX_LINKS = 200


class CooperationCaseAction(StrEnum):
    """What happened to the case."""

    OPENED = "opened"
    FOLLOW_UP_SET = "follow_up_set"
    LINKED = "linked"
    CLOSED = "closed"


class LinkType(StrEnum):
    """What a cooperation case links to: things both sides know by the same id."""

    REFERRAL = "referral"
    STATEMENT = "statement"
    CASE_MANAGER_PERIOD = "case_manager_period"
    CONSULTATION = "consultation"
    """A consultation's id, taken as an opaque reference (not checked against a record)."""


class CaseLink(Contract):
    """One link: what kind of thing, and its shared id. Never its content."""

    type: LinkType = Field(description="What is linked.")
    id: UUID = Field(description="Its id, shared by both sides.")


Links = tuple[CaseLink, ...]


def _no_repeated_links(links: Links) -> Links:
    check_no_repeats(
        links, "cooperation_case.link_duplicate", "links names the same thing more than once"
    )
    return links


class CooperationCaseRequest(Contract):
    """What Kela's case system sends to open a cooperation case for a client."""

    model_config = with_examples(COOPERATION_CASE_REQUEST_EXAMPLE)

    client: RoutedClient = Field(description="The client; Kela's side routes by the municipality.")
    follow_up_on: date | None = Field(default=None, description="The first follow-up date.")
    links: Links = Field(
        default=(), max_length=MAX_LINKS, description="What the case ties together, by id."
    )

    _links = field_validator("links")(_no_repeated_links)


class FollowUpRequest(Contract):
    """Set the case's next follow-up date (null: none planned)."""

    follow_up_on: date | None = Field(description="The next follow-up date, or null.")


class LinkRequest(Contract):
    """Link more to the case."""

    links: Links = Field(
        min_length=1, max_length=MAX_LINKS, description="What to add to the case, by id."
    )

    _links = field_validator("links")(_no_repeated_links)


class CooperationCase(Contract):
    """Bus payload, Kela → the client's county: a cooperation case as it now stands. Ids and
    dates and the client's identity code; nothing about the case's content."""

    model_config = with_examples(COOPERATION_CASE_EXAMPLE)

    kind: Literal["cooperation_case"] = Field(description="Message kind discriminator.")
    case_id: UUID = Field(description="The case's id, shared by both sides.")
    action: CooperationCaseAction = Field(description="What happened.")
    recorded_at: AwareDatetime = Field(
        description="When Kela recorded it; the county keeps the newest (out-of-order arrival)."
    )
    county_code: CountyCode = Field(description="The client's county: the recipient.")
    client: ClientIdentity = Field(description="The client: the identity code only.")
    opened_on: date = Field(description="When the case was opened.")
    follow_up_on: date | None = Field(default=None, description="The next follow-up date.")
    links: Links = Field(max_length=MAX_LINKS, description="What the case ties together, by id.")
    closed_on: date | None = Field(default=None, description="With `closed`: when.")

    _links = field_validator("links")(_no_repeated_links)

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if (self.action == CooperationCaseAction.CLOSED) != (self.closed_on is not None):
            raise PydanticCustomError(
                "cooperation_case.closed_on", "closed_on is given with action closed, and only then"
            )
        check_order(
            self.opened_on,
            self.closed_on,
            "closed_on",
            "cooperation_case.closed_before_opened",
            "closed_on may not be before opened_on",
        )
        return self


SPEC = KindSpec(
    payload=CooperationCase,
    route=Route(BY_KELA, to_client_county(WRONG_RECIPIENT), ReferralLink.NONE),
    grounds=Grounds(Purpose.COOPERATION_FOLLOW_UP, COOPERATION_FOLLOW_UP),
)
