"""Municipality side tables: referrals as received, their status history, outbox, inbox."""

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
from sqlalchemy import (
    Boolean,
    Column,
    Index,
    MetaData,
    String,
    Table,
    false,
)

metadata = MetaData()
messaging = add_messaging_tables(metadata)

referrals = Table(
    "referrals",
    metadata,
    *referral_columns("sender"),
    Column("urgency", String(20), nullable=True),
    Column("message_id", String(36), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("child_welfare", Boolean, nullable=False, server_default=false()),
    # Worklists: the county worker the referral is assigned to (their token's subject).
    Column("assigned_to", String(200), nullable=True),
    Column("assigned_at", UtcDateTime(), nullable=True),
    Column("assigned_entry_id", String(36), nullable=True),
    Index("ix_referrals_county_status", "county_code", "status", "received_at"),
    Index("ix_referrals_county_assigned", "county_code", "assigned_to", "received_at"),
    Index("ix_referrals_due", "due_at"),
    Index("ix_referrals_client_key", "client_key"),
    awaiting_purge_index(),
)

events = add_events(metadata)
"""The change feed and webhook subscriptions (``silta_records.events``)."""
status_history = add_status_history(metadata, events)
directory_entries = add_directory_entries(metadata)
access_log = add_access_log(metadata)
message_log = add_message_log(metadata)
consultations = add_consultations(metadata)
decision_notices = add_decision_notices(metadata)
DECISION_NOTICE_PAYLOAD = sealed_payload(decision_notices)

REFERRAL_PAYLOAD = SealedColumn(referrals, "id", client_key_column="client_key")
"""The referral as received: sealed, bound to the referral's id."""
