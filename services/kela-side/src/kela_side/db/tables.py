"""Kela side tables: referrals as sent, their status history, the outbox and inbox."""

from __future__ import annotations

from silta_messaging.tables import add_messaging_tables
from silta_messaging.timestamps import UtcDateTime
from silta_protection.access_log import add_access_log
from silta_protection.encryption import SealedColumn
from silta_protection.evidence import add_message_log
from silta_records.consultations import add_consultations
from silta_records.decision_notices import add_decision_notices, sealed_payload
from silta_records.directory import add_directory_entries
from silta_records.events import add_events
from silta_records.record_columns import awaiting_purge_index, referral_columns
from silta_records.status_history import add_status_history
from silta_schemas.lifecycle import is_open
from silta_schemas.status import ReferralStatus
from sqlalchemy import (
    Column,
    Index,
    MetaData,
    String,
    Table,
    Text,
    text,
)

OPEN_STATUSES = sorted(s.value for s in ReferralStatus if is_open(s))

metadata = MetaData()
messaging = add_messaging_tables(metadata)

# One open referral per client, kind and county, unless the sender gave a reason for another
# or the referral was forwarded there by another county (it may meet one already open).
_open_without_reason = text(
    f"status IN ({', '.join(repr(s) for s in OPEN_STATUSES)}) AND new_referral_reason IS NULL "
    "AND forwarded_from_id IS NULL"
)
OPEN_PER_CLIENT = Index(
    "uq_referrals_open_per_client",
    "client_key",
    "kind",
    "county_code",
    unique=True,
    sqlite_where=_open_without_reason,
    postgresql_where=_open_without_reason,
)

referrals = Table(
    "referrals",
    metadata,
    *referral_columns("recipient"),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("new_referral_reason", Text, nullable=True),
    Column("request_hash", String(64), nullable=True),
    Column("forwarded_from_id", String(36), nullable=True),
    Column("forwarded_to_id", String(36), nullable=True),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    Column("cancellation_reason", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_referrals_status_created", "status", "created_at"),
    Index("ix_referrals_created", "created_at"),
    Index("ix_referrals_due", "due_at"),
    Index("ix_referrals_client", "client_key", "created_at"),
    OPEN_PER_CLIENT,
    awaiting_purge_index(),
)

events = add_events(metadata)
"""The change feed and webhook subscriptions (``silta_records.events``)."""
status_history = add_status_history(metadata, events, acknowledged_from="county-")
directory_entries = add_directory_entries(metadata)
access_log = add_access_log(metadata)
message_log = add_message_log(metadata)
consultations = add_consultations(metadata)
decision_notices = add_decision_notices(metadata)
DECISION_NOTICE_PAYLOAD = sealed_payload(decision_notices)

REFERRAL_PAYLOAD = SealedColumn(referrals, "id", client_key_column="client_key")
"""The referral as sent: sealed, bound to the referral's id."""

NEW_REFERRAL_REASON = SealedColumn(referrals, "id", "new_referral_reason", form="text")
CANCELLATION_REASON = SealedColumn(referrals, "id", "cancellation_reason", form="text")
"""Free text the officer wrote about the referral: sealed like the referral."""
