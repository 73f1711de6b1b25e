"""What a message kind specifies: who sends it to whom, whether it belongs to a referral, and
why and under which law it is sent.

Each module in `silta_schemas.kinds` defines one `KindSpec` beside its payload model;
`silta_schemas.registry` collects them and the envelope checks every message against its
kind's spec.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Generic, NamedTuple, TypeVar, get_args
from uuid import UUID

from silta_schemas._base import Contract
from silta_schemas.codes import MessageKind
from silta_schemas.lifecycle import Actor
from silta_schemas.parties import ALL_COUNTIES, KELA
from silta_schemas.purpose import Purpose

P = TypeVar("P", bound=Contract)
P_contra = TypeVar("P_contra", bound=Contract, contravariant=True)

BY_KELA: Final = frozenset({Actor.KELA})
BY_COUNTY: Final = frozenset({Actor.COUNTY})
BY_EITHER: Final = BY_KELA | BY_COUNTY


class ReferralLink(StrEnum):
    """Whether a message of the kind names a referral in its envelope's `referral_id`."""

    REQUIRED = "required"
    """It belongs to a referral."""
    OPTIONAL = "optional"
    """It is about a client: it names the referral it concerns, or none (a statement may come
    before Kela handles the client's application)."""
    NONE = "none"
    """It belongs to no referral: `referral_id` is null."""


class Addressing(NamedTuple):
    """The envelope's routing fields, which a kind's recipient rule and checks read."""

    kind: MessageKind
    sender: str
    recipient: str
    referral_id: UUID | None


RecipientRule = Callable[[Addressing, P], str | None]
"""Why the recipient is wrong for this payload (for `envelope.wrong_recipient`), or None."""


@dataclass(frozen=True)
class Route(Generic[P_contra]):
    """Who sends a kind to whom, and whether it names a referral: what addressing needs."""

    senders: frozenset[Actor]
    """The sides that may send it; the side decides the exchange (Kela's or the counties')."""
    recipient: RecipientRule[P_contra]
    referral: ReferralLink


@dataclass(frozen=True)
class Grounds(Generic[P_contra]):
    """Why a kind is sent (its purpose) and under which law."""

    purpose: Purpose
    legal_basis: str | Callable[[P_contra], str]
    """The law it is sent under, or how the payload's content decides it."""

    def of(self, payload: P_contra) -> tuple[Purpose, str]:
        """The purpose and legal basis the envelope of `payload` must state."""
        basis = self.legal_basis
        return self.purpose, basis if isinstance(basis, str) else basis(payload)


@dataclass(frozen=True)
class KindSpec(Generic[P]):
    """One message kind: its payload model and the rules its envelope must meet."""

    payload: type[P]
    """The payload model: its `kind` literal names the kind, its fields are all it may carry."""
    route: Route[P]
    grounds: Grounds[P]
    check: Callable[[Addressing, P], None] | None = None
    """Further rules between envelope and payload; raises `MessageRejected`."""
    kind: MessageKind = field(init=False)
    """The payload's `kind` literal: the wire value is written once, in the model."""

    def __post_init__(self) -> None:
        (value,) = get_args(self.payload.model_fields["kind"].annotation)
        object.__setattr__(self, "kind", MessageKind(value))

    @property
    def sent_by_kela(self) -> bool:
        """True if Kela sends this kind (on Kela's exchange)."""
        return Actor.KELA in self.route.senders

    @property
    def sent_by_county(self) -> bool:
        """True if a county sends this kind (on the counties' exchange)."""
        return Actor.COUNTY in self.route.senders

    @property
    def allowed_fields(self) -> frozenset[str]:
        """The payload's fields: the model forbids any other (data minimisation)."""
        return frozenset(self.payload.model_fields)


def to_kela(addressing: Addressing, _: Contract) -> str | None:
    """Recipient rule of a kind that goes to Kela."""
    return None if addressing.recipient == KELA else f"{addressing.kind.value} is sent to kela"


def to_one_county(complaint: str) -> RecipientRule[Contract]:
    """A kind that goes to one county, the one the referral or statement is with."""

    def rule(addressing: Addressing, _: Contract) -> str | None:
        return None if addressing.recipient not in (KELA, ALL_COUNTIES) else complaint

    return rule


def to_the_other_side(addressing: Addressing, _: Contract) -> str | None:
    """Recipient rule of a kind either side sends: Kela's goes to one county, a county's to
    Kela."""
    from_kela = addressing.sender == KELA
    if from_kela == (addressing.recipient not in (KELA, ALL_COUNTIES)):
        return None
    return f"{addressing.kind.value} goes from Kela to one county or from a county to kela"
