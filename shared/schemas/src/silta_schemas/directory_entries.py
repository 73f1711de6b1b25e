"""The contact directory: named cooperation contacts and the catalogue of Kela's special services.

Both sides keep their own part (Kela its teams, each county its units) and tell the other side
of every change with a `DirectoryUpdate` on the bus (`kinds.directory_update`; `directory` is
the public place for both). The directory
holds WORK contact data of officials and units (name, role, work channels, hours), never
client data: every text field is bounded and may not contain a personal identity code.
(Seed 004, §7.2-7.3: up-to-date named contacts, low-threshold channels, and one table of
Kela's special services with what each is for and when to refer a client there.)
"""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Final, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, check_no_repeats, with_examples
from silta_schemas.examples import DIRECTORY_ENTRY_REQUEST_EXAMPLE
from silta_schemas.parties import (
    EMAIL_PATTERN,
    PHONE_PATTERN,
    CountyCode,
    OrganisationId,
    county_code_of,
)
from silta_schemas.text import FreeText, ShortText

MAX_CHANNELS: Final = 5
MAX_TOPICS: Final = 10

_PHONE: Final = re.compile(PHONE_PATTERN)
_EMAIL: Final = re.compile(EMAIL_PATTERN)


class KelaService(StrEnum):
    """Kela's special services that complement its basic services (seed 004, §7.2-7.3)."""

    MUNICIPAL_COOPERATION = "municipal_cooperation"
    """Kuntayhteistyö: named Kela benefit officers working with a county's social services."""
    MULTIPROFESSIONAL_SERVICE = "multiprofessional_service"
    """Moniammatillinen palvelu: a Kela expert walks alongside a client in a complex situation."""
    CASE_MANAGER_SERVICE = "case_manager_service"
    """Asiakkuusvastaavapalvelu: a case manager takes charge of a client's situation for a while."""
    AUTHORITIES_PHONE_LINE = "authorities_phone_line"
    """Viranomaisten palvelunumero: Kela's national service numbers for authorities."""


class KelaServiceDescription(Contract):
    """One row of the catalogue: what a Kela special service is for and when to refer there."""

    service: KelaService = Field(description="The service's code.")
    name: ShortText = Field(description="The service's name in English.")
    finnish_name: ShortText = Field(description="The service's Finnish name.")
    purpose: FreeText = Field(description="What the service is for.")
    refer_when: tuple[ShortText, ...] = Field(
        min_length=1, description="Example situations in which to refer a client, or turn, there."
    )
    not_for: tuple[ShortText, ...] = Field(
        default=(), description="What the service is not meant for."
    )


KELA_SERVICE_CATALOGUE: Final[Mapping[KelaService, KelaServiceDescription]] = {
    item.service: item
    for item in (
        KelaServiceDescription(
            service=KelaService.MUNICIPAL_COOPERATION,
            name="Municipal cooperation in social assistance",
            finnish_name="Kuntayhteistyö (toimeentulotuki)",
            purpose=(
                "Named Kela benefit officers for basic social assistance who work with a county's "
                "social services: a low-threshold channel between the officer handling a shared "
                "client's application and the social worker or counsellor, for consultation and "
                "for information the other side needs, within the limits of data protection."
            ),
            refer_when=(
                "Kela is concerned about a client and the county's social services should know",
                "A client's situation is unclear or complicated, e.g. a move or a basic amount "
                "reduction under consideration, and the officer wants the social worker's view",
                "A social worker wants to give a statement or more information on an application",
                "A social worker asks about a missing attachment or an unclear decision",
            ),
            not_for=(
                "Hurrying an individual application (in several areas by agreement)",
                "Questions about primary benefits: use the authorities' phone line",
            ),
        ),
        KelaServiceDescription(
            service=KelaService.MULTIPROFESSIONAL_SERVICE,
            name="Multiprofessional service",
            finnish_name="Moniammatillinen palvelu",
            purpose=(
                "Complements Kela's basic services and is not tied to any one benefit: a Kela "
                "expert walks alongside the client, makes sure the client gets every benefit and "
                "support they are entitled to, and works closely with the client and partners "
                "such as social services to move the client's situation forward."
            ),
            refer_when=(
                "The client's situation is complex and involves several benefits and services",
                "The client needs someone at Kela to walk alongside them over a longer period",
                "Several authorities work with the client and need one partner at Kela",
            ),
            not_for=("A single question about one application: use municipal cooperation",),
        ),
        KelaServiceDescription(
            service=KelaService.CASE_MANAGER_SERVICE,
            name="Case-manager service",
            finnish_name="Asiakkuusvastaavapalvelu",
            purpose=(
                "A case manager in Kela's customer service takes charge of the situation of a "
                "client who needs special support, for a fixed period, and helps the client over "
                "the difficult situation; the client then goes on using Kela's basic services."
            ),
            refer_when=(
                "The client needs special support to deal with Kela for a while",
                "The client's Kela matters have become tangled and need one person to sort out",
            ),
            not_for=("Lasting, multi-agency cooperation: consider the multiprofessional service",),
        ),
        KelaServiceDescription(
            service=KelaService.AUTHORITIES_PHONE_LINE,
            name="Kela's service numbers for authorities",
            finnish_name="Viranomaisten palvelunumerot (toimeentulotuen viranomaislinja)",
            purpose=(
                "Kela's contact centre answers authorities' questions by benefit, including a "
                "line for social assistance; with the chat for general advice and Kela's secure "
                "email, the channel for what municipal cooperation cannot resolve."
            ),
            refer_when=(
                "A general question about a benefit or the handling of applications",
                "A question about a primary benefit rather than basic social assistance",
                "There is no municipal cooperation contact for the area, or they cannot be reached",
            ),
        ),
    )
}
"""Kela's special services, what each is for and when to refer a client there."""


class ChannelType(StrEnum):
    """How a contact is reached."""

    PHONE = "phone"
    EMAIL = "email"
    SECURE_EMAIL = "secure_email"
    OTHER = "other"
    """E.g. an instant-messaging address (Teams) or a web form."""


class ContactChannel(Contract):
    """A work channel of a contact: phone, email, secure email or other."""

    type: ChannelType = Field(description="Kind of channel.")
    value: ShortText = Field(
        description="Phone number (digits, optional +, spaces or hyphens), email address, or "
        "for `other` how to reach the contact (e.g. a Teams address).",
        examples=["+358 20 634 0000", "kuntayhteistyo@example.fi"],
    )
    note: ShortText | None = Field(
        default=None, description="E.g. when the channel is answered or what it is for."
    )

    @model_validator(mode="after")
    def _value_matches_type(self) -> Self:
        if self.type == ChannelType.PHONE and not _PHONE.match(self.value):
            raise PydanticCustomError(
                "channel.phone_format",
                "a phone channel's value must be a phone number: digits with an optional "
                "leading + and spaces or hyphens",
            )
        is_email = self.type in (ChannelType.EMAIL, ChannelType.SECURE_EMAIL)
        if is_email and not _EMAIL.match(self.value):
            raise PydanticCustomError(
                "channel.email_format", "an email channel's value must be an email address"
            )
        return self


class DirectoryEntryRequest(Contract):
    """What a side's own system sends to create or replace one of its directory entries."""

    model_config = with_examples(DIRECTORY_ENTRY_REQUEST_EXAMPLE)

    organisation: OrganisationId = Field(
        description="Whose entry: `kela` or `county-NN`; each side maintains only its own."
    )
    county_code: CountyCode | None = Field(
        default=None,
        description="For a county unit: its county (required, equal to the organisation's). "
        "For a Kela team: the county area it works with, or null for a national contact.",
    )
    unit: ShortText = Field(
        description="Team or unit, e.g. `Kela, kuntayhteistyö, Kaakkois-Suomi` or "
        "`Aikuissosiaalityö, Lappeenranta`."
    )
    person_name: ShortText | None = Field(
        default=None,
        description="The named contact person (a work contact); null for a unit's shared line.",
    )
    role: ShortText = Field(
        description="What the contact does, e.g. `kuntayhteyshenkilö` (municipal-cooperation "
        "contact) or `sosiaalityöntekijä` (social worker)."
    )
    channels: tuple[ContactChannel, ...] = Field(
        min_length=1, max_length=MAX_CHANNELS, description="Work channels, the preferred first."
    )
    hours: ShortText = Field(
        description="When the contact can be reached, e.g. `Mon-Fri 9-15, phone 9-11`."
    )
    services: tuple[KelaService, ...] = Field(
        default=(),
        description="For a Kela team: the special services it provides. For a county unit: the "
        "Kela services it is the named counterpart for (e.g. `municipal_cooperation`).",
    )
    topics: tuple[ShortText, ...] = Field(
        default=(),
        max_length=MAX_TOPICS,
        description="What to contact them about, e.g. `immigration services`, `child welfare`.",
    )
    description: FreeText | None = Field(
        default=None, description="Anything else the other side should know; no client data."
    )

    @model_validator(mode="after")
    def _county_matches_organisation(self) -> Self:
        county = county_code_of(self.organisation)
        if county is not None and self.county_code is None:
            raise PydanticCustomError(
                "directory.county_required", "county_code is required for a county's entry"
            )
        if county is not None and self.county_code != county:
            raise PydanticCustomError(
                "directory.county_mismatch", "county_code must be the organisation's county"
            )
        check_no_repeats(self.services, "directory.duplicate_service", "services must not repeat")
        return self


class DirectoryEntry(DirectoryEntryRequest):
    """One named cooperation contact, or a unit's shared line, as both sides store it."""

    entry_id: UUID = Field(description="The entry's id, chosen by the side that maintains it.")
    updated_at: AwareDatetime = Field(
        description="When the maintaining side last changed it; a receiver ignores older changes."
    )
