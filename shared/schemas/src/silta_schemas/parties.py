"""Who is who: organisations on the bridge, Kela's contact person, the client's contact details."""

import re
from typing import Annotated, Final, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract
from silta_schemas.routing import COUNTY_CODES
from silta_schemas.text import ShortText

KELA: Final = "kela"
ALL_COUNTIES: Final = "counties"
"""Recipient of what Kela sends to every county at once (its directory updates)."""
PHONE_PATTERN: Final = r"^\+?[0-9][0-9 -]{3,18}[0-9]$"
EMAIL_PATTERN: Final = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
_COUNTY_ORGANISATION = re.compile(r"^county-(0[1-9]|1[0-9]|2[01]|90)$")

OrganisationId = Annotated[
    str,
    Field(
        pattern=r"^(kela|county-(0[1-9]|1[0-9]|2[01]|90))$",
        description="`kela`, or `county-NN` for a wellbeing services county (90: Helsinki).",
        examples=["kela", "county-11"],
    ),
]
CountyCode = Annotated[
    str,
    Field(
        pattern=r"^(0[1-9]|1[0-9]|2[01]|90)$",
        description="Wellbeing services county (hyvinvointialue) code; 90 is Helsinki.",
        examples=["11"],
    ),
]
Phone = Annotated[
    str,
    Field(
        pattern=PHONE_PATTERN,
        description="Phone number, digits with optional leading + and spaces or hyphens.",
        examples=["+358 20 634 0000"],
    ),
]
Email = Annotated[
    str,
    Field(
        max_length=254,
        pattern=EMAIL_PATTERN,
        description="Email address.",
        examples=["kuntayhteistyo@example.fi"],
    ),
]


def county_organisation(county_code: str) -> str:
    """Organisation id of a county: `05` → `county-05`."""
    if county_code not in COUNTY_CODES:
        raise ValueError("not a wellbeing services county code")
    return f"county-{county_code}"


def county_code_of(org: str) -> str | None:
    """County code of an organisation id; None for Kela. Raises ValueError for anything else."""
    if org == KELA:
        return None
    match = _COUNTY_ORGANISATION.match(org)
    if match is None:
        raise ValueError("not an organisation id")
    return match.group(1)


class KelaContact(Contract):
    """The Kela official to contact about this referral: a WORK contact, not personal data
    of the client."""

    name: ShortText = Field(description="Name of the Kela official.")
    team: ShortText = Field(description="Kela team or unit, e.g. municipal cooperation.")
    phone: Phone = Field(description="Work phone number.")
    email: Email | None = Field(default=None, description="Work email address, if any.")


class ClientAddress(Contract):
    """The client's postal address."""

    street: ShortText = Field(description="Street address (katuosoite).")
    postal_code: str = Field(pattern=r"^\d{5}$", description="Postal code (postinumero).")
    post_office: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="Post office (postitoimipaikka)."
    )


class ClientContact(Contract):
    """How the county can reach the client; sent only when the basis covers it."""

    phone: Phone | None = Field(default=None, description="Client's phone number.")
    email: Email | None = Field(default=None, description="Client's email address.")
    address: ClientAddress | None = Field(default=None, description="Client's postal address.")

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.phone is None and self.email is None and self.address is None:
            raise PydanticCustomError(
                "client.contact_empty",
                "client.contact must give at least one of phone, email or address; "
                "leave contact out instead",
            )
        return self
