"""The client's cooperation with the counties at a glance, for the officer deciding an
application (004: make municipal cooperation a natural part of processing basic social
assistance applications).

One request gathers what Kela holds about the client's cooperation: the open and recent
referrals with their status, county and responsible worker (with the worker's directory
contact), the statements the counties sent, the client's case-manager periods and the open
consultations (asked, not yet answered, declined or expired). Tracking data and work contacts
only: a statement's or a consultation's content is opened, and accounted for, one at a time
(``GET /v1/statements/{id}``, ``GET /v1/consultations/{id}``).
Every item shown is accounted for in the access log, under the decision purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access, Actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.consultations import ConsultationRecord, open_consultations
from silta_records.cooperation.case_managers import PeriodView, period_view
from silta_records.responsible_workers import ResponsibleWorkerView

from kela_side import queries
from kela_side.db import client_repository, statement_repository
from kela_side.db.cooperation import CASE_MANAGERS
from kela_side.db.tables import consultations
from kela_side.purposes import DECISION_PURPOSE
from kela_side.records import ReferralRecord
from kela_side.settings import KelaSettings

MAX_ITEMS = 200
"""Of each part: a client with more is an exception an officer pages through elsewhere."""


@dataclass(frozen=True)
class ReferralAtAGlance:
    referral: ReferralRecord
    responsible_worker: ResponsibleWorkerView | None


@dataclass(frozen=True)
class ClientCooperation:
    since: datetime
    """Closed referrals changed before this are left out."""
    referrals: list[ReferralAtAGlance]
    statements: list[Any]
    """Statement rows (their metadata is shown, never their content)."""
    case_managers: list[PeriodView]
    """The client's case-manager periods: who, until when, and their state today."""
    consultations: list[ConsultationRecord]
    """Open consultations, either way (tracking data: their content is opened one at a time)."""


async def client_cooperation(
    transactions: Transactions, settings: KelaSettings, identity_code: str, actor: Actor
) -> ClientCooperation:
    """What Kela holds of one client's cooperation with the counties, each item accounted
    for (or the empty search, when there is none)."""
    key = client_key_of(settings, identity_code)
    since = datetime.now(UTC) - timedelta(days=settings.cooperation_recent_days)
    async with transactions.view() as work:  # one moment across the five reads
        conn = work.conn
        referrals = await client_repository.referrals_of(conn, key, since, limit=MAX_ITEMS)
        glance = [
            ReferralAtAGlance(
                record, await queries.responsible_worker_on(conn, record.id, record.recipient)
            )
            for record in referrals
        ]
        statements = await statement_repository.of_client(conn, key, limit=MAX_ITEMS, offset=0)
        periods = (await CASE_MANAGERS.of_client(conn, key, None))[:MAX_ITEMS]
        asked = await open_consultations(conn, consultations, key, datetime.now(UTC), MAX_ITEMS)
        accesses = (
            [
                Access(actor, "read", "referral", str(record.id), key, DECISION_PURPOSE)
                for record in referrals
            ]
            + [
                Access(actor, "read", "statement", row.statement_id, key, DECISION_PURPOSE)
                for row in statements
            ]
            + [
                Access(actor, "read", "case_manager_period", row.id, key, DECISION_PURPOSE)
                for row in periods
            ]
            + [
                Access(actor, "read", "consultation", str(item.id), key, DECISION_PURPOSE)
                for item in asked
            ]
        )
        work.account(*accesses or [Access(actor, "search", "client", None, key, DECISION_PURPOSE)])
    cipher = cipher_of(settings)
    managers = [period_view(row, CASE_MANAGERS.open(row, cipher)) for row in periods]
    return ClientCooperation(since, glance, list(statements), managers, asked)
