"""What the cooperation kinds (`kinds.case_manager_period`, `kinds.cooperation_case`) are made
of: the client as the county needs to find them (the identity code and nothing else), the
client's consent, the Kela case manager's reachability, and the routing of a Kela request.

Kela routes on its own side: its request names the client's municipality of residence, the
message carries only the county code (address non-disclosure: nothing of the client's
location crosses the bridge beyond what routing needs).
"""

from collections.abc import Callable
from datetime import date
from typing import Protocol

from pydantic import AwareDatetime, Field
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract
from silta_schemas.codes import ConsentMethod
from silta_schemas.identity import IdentityCode
from silta_schemas.parties import county_organisation
from silta_schemas.routing import MunicipalityCode, RoutingError, county_for_municipality
from silta_schemas.spec import Addressing
from silta_schemas.work_contact import WorkContact

COOPERATION_ON_A_SHARED_CLIENT = (
    "Act on Social Assistance 1412/1997 §14a; Social Welfare Act 1301/2014 §41"
)
"""The law the cooperation kinds name: cooperation of Kela and the wellbeing services county
(§14a: DOMAIN.md asks sections other than §5 to be confirmed against Finlex)."""


class ClientIdentity(Contract):
    """The client a cooperation message is about: the identity code and nothing else."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )


class RoutedClient(Contract):
    """The client in a Kela request: the identity code, and the municipality of residence
    Kela's side routes by (it never crosses the bridge)."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )
    municipality_code: MunicipalityCode = Field(
        description="Municipality of residence (kotikunta): decides the county. Kela's side "
        "routes by it and sends only the county code."
    )

    def county_code(self, on: date) -> str:
        """The county the municipality routes to on ``on``; ``PydanticCustomError`` naming
        the routing rule otherwise (never the municipality)."""
        try:
            return county_for_municipality(self.municipality_code, on)
        except RoutingError as error:
            raise PydanticCustomError(
                error.rule, f"client.municipality_code: {error.message}"
            ) from None

    def identity(self) -> ClientIdentity:
        return ClientIdentity(identity_code=self.identity_code)


class ClientConsent(Contract):
    """The client's consent to the county being told (suostumus): when and how given."""

    given_at: AwareDatetime = Field(description="When the client gave consent.")
    method: ConsentMethod = Field(description="How consent was given.")


def check_case_manager_reachable(case_manager: WorkContact | None) -> WorkContact | None:
    """The county needs a way to reach the client's case manager directly (seed 001); the
    ``case_manager`` validator of the models that name one."""
    if case_manager is not None and not case_manager.has_channel:
        raise PydanticCustomError(
            "case_manager.channel_required",
            "case_manager must give a work phone or a work email: the county contacts the "
            "case manager directly",
        )
    return case_manager


def check_order(first: date, then: date | None, field: str, rule: str, message: str) -> None:
    """``then`` (if given, the model's ``field``) may not come before ``first``."""
    if then is not None and then < first:
        raise PydanticCustomError(rule, message, {"field": field})


class HasCounty(Protocol):
    """A payload that names the county it goes to."""

    @property
    def county_code(self) -> str: ...


def to_client_county(complaint: str) -> Callable[[Addressing, HasCounty], str | None]:
    """Recipient rule of a kind Kela sends to the client's county (its `county_code`)."""

    def rule(addressing: Addressing, payload: HasCounty) -> str | None:
        expected = county_organisation(payload.county_code)
        return None if addressing.recipient == expected else complaint

    return rule
