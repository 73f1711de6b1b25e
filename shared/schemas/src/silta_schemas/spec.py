"""What a message kind specifies: who sends it to whom, whether it belongs to a referral, and
why and under which law it is sent.

Each module in `silta_schemas.kinds` defines one `KindSpec` beside its payload model;
`silta_schemas.registry` collects them and the envelope checks every message against its
kind's spec.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Generic, NamedTuple, TypeVar
from uuid import UUID

from silta_schemas._base import Contract
from silta_schemas.codes import MessageKind
from silta_schemas.lifecycle import Actor
from silta_schemas.parties import ALL_COUNTIES, KELA
from silta_schemas.purpose import Purpose

P = TypeVar("P", bound=Contract)

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

    sender: str
    recipient: str
    referral_id: UUID | None


RecipientRule = Callable[[Addressing, P], str | None]
"""Why the recipient is wrong for this payload (for `envelope.wrong_recipient`), or None."""


@dataclass(frozen=True)
class KindSpec(Generic[P]):
    """One message kind: its payload model and the rules its envelope must meet."""

    kind: MessageKind
    payload: type[P]
    """The payload model; its `kind` literal is `kind`, and its fields are all it may carry."""
    senders: frozenset[Actor]
    """The sides that may send it; the side decides the exchange (Kela's or the counties')."""
    recipient: RecipientRule[P]
    referral: ReferralLink
    purpose: Purpose
    legal_basis: str | Callable[[P], str]
    """The law it is sent under, or how the payload's content decides it."""
    check: Callable[[Addressing, P], None] | None = None
    """Further rules between envelope and payload; raises `MessageRejected`."""

    @property
    def sent_by_kela(self) -> bool:
        """True if Kela sends this kind (on Kela's exchange)."""
        return Actor.KELA in self.senders

    @property
    def sent_by_county(self) -> bool:
        """True if a county sends this kind (on the counties' exchange)."""
        return Actor.COUNTY in self.senders

    @property
    def allowed_fields(self) -> frozenset[str]:
        """The payload's fields: the model forbids any other (data minimisation)."""
        return frozenset(self.payload.model_fields)

    def purpose_and_legal_basis(self, payload: P) -> tuple[Purpose, str]:
        """What the envelope of `payload` must state as its purpose and legal basis."""
        basis = self.legal_basis
        return self.purpose, basis if isinstance(basis, str) else basis(payload)


def to_kela(kind: MessageKind) -> RecipientRule[Contract]:
    """A kind that goes to Kela."""
    complaint = f"{kind.value} is sent to kela"

    def rule(addressing: Addressing, _: Contract) -> str | None:
        return None if addressing.recipient == KELA else complaint

    return rule


def to_one_county(complaint: str) -> RecipientRule[Contract]:
    """A kind that goes to one county, the one the referral or statement is with."""

    def rule(addressing: Addressing, _: Contract) -> str | None:
        return None if addressing.recipient not in (KELA, ALL_COUNTIES) else complaint

    return rule
