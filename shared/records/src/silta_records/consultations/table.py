"""The consultations table, the same on both sides: each side keeps the consultations it
asked (``outgoing``) and those it was asked (``incoming``), the question and the answer
sealed, found by the client's keyed hash (null for an anonymous consultation)."""

from __future__ import annotations

from collections.abc import Mapping

from silta_messaging.timestamps import UtcDateTime
from silta_protection.encryption import SealedColumn
from sqlalchemy import JSON, Column, Index, MetaData, String, Table

from silta_records.client_records import client_record_columns, sending_columns

OUTGOING = "outgoing"
INCOMING = "incoming"


def add_consultations(metadata: MetaData) -> Table:
    return Table(
        "consultations",
        metadata,
        *client_record_columns("consultation_id", client_key_required=False),
        Column("direction", String(8), nullable=False),
        Column("sender", String(20), nullable=False),
        Column("status", String(10), nullable=False),
        Column("purposes", String(120), nullable=False),
        Column("asked_at", UtcDateTime(), nullable=False),
        Column("due_at", UtcDateTime(), nullable=False),
        Column("answer", JSON, nullable=True),
        Column("answered_at", UtcDateTime(), nullable=True),
        *sending_columns(),
        Index("ix_consultations_client", "client_key"),
        Index("ix_consultations_status_due", "status", "due_at"),
    )


def sealed_columns(table: Table) -> Mapping[str, SealedColumn]:
    """The question (``payload``) and the answer, each sealed, bound to the consultation."""
    return {
        "consultation_questions": SealedColumn(
            table, "consultation_id", client_key_column="client_key"
        ),
        "consultation_answers": SealedColumn(table, "consultation_id", "answer"),
    }
