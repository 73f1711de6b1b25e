"""The columns both sides give a referral and a statement, each side adding its own, and
where both keep client content sealed.

Both keep the record's content sealed (``payload``, JSON) beside a keyed hash of the
client's identity code (``client_key``): it finds a client's rows and reveals no code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from silta_messaging.tables import MessagingTables
from silta_messaging.timestamps import UtcDateTime
from silta_protection.access_log import AccessLogTables
from silta_protection.encryption import SealedColumn, outbox_body
from silta_protection.evidence import MessageLogTables
from silta_protection.retention import ClosedRecords, RetentionTables
from sqlalchemy import JSON, Column, Index, Integer, String, Table, text

from silta_records.events import EventTables, webhook_secret_column
from silta_records.status_history import history_reason


def sealed_payload(*, client_key_required: bool = False) -> list[Column[Any]]:
    """The sealed content and the keyed hash of its client's identity code."""
    return [
        Column("payload", JSON, nullable=False),
        Column("client_key", String(64), nullable=not client_key_required),
    ]


def referral_columns(party: str) -> list[Column[Any]]:
    """A referral as both sides keep it; ``party`` names the other side's column
    (``recipient`` on Kela's side, ``sender`` on a county's)."""
    return [
        Column("id", String(36), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("county_code", String(2), nullable=False),
        Column(party, String(20), nullable=False),
        Column("status", String(20), nullable=False),
        Column("status_sequence", Integer, nullable=False),
        *sealed_payload(),
        Column("due_at", UtcDateTime(), nullable=True),
        # When retention purged the payload (JSON null since): the tracking record stays.
        Column("purged_at", UtcDateTime(), nullable=True),
        Column("updated_at", UtcDateTime(), nullable=False),
    ]


AWAITING_PURGE = "purged_at IS NULL"


def awaiting_purge_index() -> Index:
    """Referrals not yet purged, by status and last change: what retention's purge looks
    for (closed, changed before the cutoff, not purged). Without it the purge read every
    referral, or every closed one ever, on each maintenance pass (README, *Growth*)."""
    predicate = text(AWAITING_PURGE)
    return Index(
        "ix_referrals_awaiting_purge",
        "status",
        "updated_at",
        sqlite_where=predicate,
        postgresql_where=predicate,
    )


def statements_made_index() -> Index:
    """Statements by when they were made: what retention deletes by (migration
    ``shared_0011``), without reading every statement."""
    return Index("ix_statements_made", "made_at")


def statement_columns(*, client_key_required: bool) -> list[Column[Any]]:
    """A statement of social work as both sides keep it."""
    return [
        Column("statement_id", String(36), primary_key=True),
        Column("county_code", String(2), nullable=False),
        Column("referral_id", String(36), nullable=True),
        *sealed_payload(client_key_required=client_key_required),
        Column("made_at", UtcDateTime(), nullable=False),
    ]


class SideTables(Protocol):
    """What a side's tables module holds that data protection needs."""

    referrals: Table
    messaging: MessagingTables
    status_history: Table
    access_log: AccessLogTables
    message_log: MessageLogTables
    events: EventTables
    REFERRAL_PAYLOAD: SealedColumn


class KeptRecords(NamedTuple):
    """A side's other records about a client (``kept_records``)."""

    sealed: Mapping[str, SealedColumn]
    closed: tuple[ClosedRecords, ...]
    """Each kind, deleted ``RETENTION_DAYS`` after it closed."""


def _statements_made_before(statements: Table) -> ClosedRecords:
    """A statement is one document, closed once made: deleted ``RETENTION_DAYS`` after."""
    return ClosedRecords("statement", statements, lambda cutoff: statements.c.made_at < cutoff)


def protected_tables(
    tables: SideTables, statement_payload: SealedColumn, kept: KeptRecords, **own: SealedColumn
) -> tuple[dict[str, SealedColumn], RetentionTables]:
    """Where a side keeps client content: every sealed column (what ``reencrypt`` rewrites:
    the referrals' and statements' payloads, the outbox's bodies, the status history's
    reasons, the webhook secrets, the ``kept`` records' and the side's ``own``), and the
    tables retention purges (the referrals, the ``kept`` records and the statements)."""
    sealed = {
        "referrals": tables.REFERRAL_PAYLOAD,
        "statements": statement_payload,
        "outbox": outbox_body(tables.messaging.outbox),
        **own,
        **kept.sealed,
        "history_reasons": history_reason(tables.status_history),
        "webhook_secrets": webhook_secret_column(tables.events.webhooks),
    }
    messaging = tables.messaging
    events = tables.events
    feed = ((events.events, "occurred_at"), (events.deliveries, "attempted_at"))
    retention = RetentionTables(
        tables.referrals,
        messaging.outbox,
        messaging.inbox,
        tables.access_log,
        tables.message_log,
        events=feed,
        closed_records=(*kept.closed, _statements_made_before(statement_payload.table)),
    )
    return sealed, retention
