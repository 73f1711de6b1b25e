"""Statements of social work (sosiaalityön lausunto), county → Kela, and Kela's receipt.

A social worker gives Kela a statement on a client's basic social assistance: a move, a view
on the decision period or on a basic amount reduction, special circumstances. It is about a
*client*, not necessarily a referral, and may come before Kela handles the client's
application: Kela keeps it for the officer who decides (Act on Social Assistance 1412/1997
§18: Kela's right to the data necessary for deciding basic assistance). Kela acknowledges
receipt with a `StatementReceipt`, which carries nothing personal.

This module holds what a statement is made of; the two message kinds are
`kinds.statement` and `kinds.statement_receipt`, and `statements` is their public place.
"""

from enum import StrEnum

from pydantic import AwareDatetime, Field, field_validator

from silta_schemas._base import Contract, check_no_repeats
from silta_schemas.client_lookup import ClientLookup
from silta_schemas.identity import IdentityCode
from silta_schemas.text import FreeText
from silta_schemas.work_contact import WorkContact


class StatementTopic(StrEnum):
    """What a statement is about (seed 004; the situations social workers name)."""

    MOVE = "move"
    """The client moves or has moved: housing costs and the municipality may change."""
    DECISION_PERIOD = "decision_period"
    """A view on the length of the decision period."""
    BASIC_AMOUNT_REDUCTION = "basic_amount_reduction"
    """A view on reducing the basic amount (Act on Social Assistance §10)."""
    SPECIAL_CIRCUMSTANCES = "special_circumstances"
    """Special circumstances Kela should take into account."""
    OTHER = "other"


class StatementClient(Contract):
    """The client the statement is about: the identity code and nothing else."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )


class StatementContent(Contract):
    """What a statement says; shared by the HTTP request and the bus payload."""

    made_at: AwareDatetime = Field(description="When the social worker made the statement.")
    client: StatementClient = Field(description="The client the statement is about.")
    topics: tuple[StatementTopic, ...] = Field(
        min_length=1, description="What the statement is about; at least one, none repeated."
    )
    text: FreeText = Field(
        repr=False, description="The statement; no identity code (the client's is in client)."
    )
    author: WorkContact = Field(
        description="The social worker who made it: work contact only (name, title, unit, and "
        "work phone or email if given)."
    )

    @field_validator("topics")
    @classmethod
    def _no_duplicate_topics(cls, topics: tuple[StatementTopic, ...]) -> tuple[StatementTopic, ...]:
        check_no_repeats(topics, "statement.topic_duplicate", "topics lists a topic more than once")
        return topics


class StatementSearch(ClientLookup):
    """Kela's officer asks for one client's statements: in the body, never in a URL (URLs end
    up in access logs)."""
