"""POST /v1/decision-notices: a county tells Kela that a supplementary or preventive
assistance decision, or an activation plan, was made for a client. Stored with its outbox
message in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.db import as_utc
from silta_platform.handlers import payload_of
from silta_platform.unit_of_work import Transactions, UnitOfWork
from silta_protection.access_log import Access
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.client_records import create_once, stored_rows
from silta_records.decision_notices import notice_row
from silta_schemas.decisions import DecisionNotice, DecisionNoticeReceipt
from silta_schemas.idempotency import check_replay, fingerprint
from silta_schemas.ids import new_id
from silta_schemas.parties import county_organisation
from sqlalchemy import Row, update

from municipality_side.commands import SendDecisionNotice
from municipality_side.db.tables import decision_notices
from municipality_side.domain.statements import check_county_served
from municipality_side.messages import to_kela
from municipality_side.purposes import DECISION_NOTICE_PURPOSE
from municipality_side.records import DecisionNoticeRecord
from municipality_side.settings import MunicipalitySettings


async def send_decision_notice(
    command: SendDecisionNotice, transactions: Transactions, settings: MunicipalitySettings
) -> tuple[DecisionNoticeRecord, bool]:
    """Raises ``RuleRefused`` (``decision_notice.county_not_served``,
    ``IdempotencyKeyReused``)."""
    request, key = command.request, command.idempotency_key
    check_county_served(request.county_code, command.counties, "decision_notice")
    digest = fingerprint(request.model_dump(mode="json"))

    def replay(row: Row[Any]) -> DecisionNoticeRecord:
        check_replay(row.request_hash, digest)
        return DecisionNoticeRecord(UUID(row.notice_id), row.county_code, as_utc(row.recorded_at))

    async def create() -> DecisionNoticeRecord:
        notice = DecisionNotice(
            kind="decision_notice",
            notice_id=new_id(),
            legal_basis=settings.decision_notice_legal_basis,
            **request.model_dump(exclude={"county_code"}),
        )
        client_key = client_key_of(settings, notice.client.identity_code)
        now = datetime.now(UTC)
        async with transactions.begin() as work:
            row = notice_row(
                decision_notices,
                notice,
                cipher_of(settings),
                county_code=request.county_code,
                sender=county_organisation(request.county_code),
                client_key=client_key,
                recorded_at=now,
                idempotency_key=key,
                request_hash=digest,
            )
            await work.conn.execute(decision_notices.insert().values(**row))
            work.announce(to_kela(notice, request.county_code))
            work.account(
                Access(
                    command.actor,
                    "create",
                    "decision_notice",
                    str(notice.notice_id),
                    client_key,
                    DECISION_NOTICE_PURPOSE,
                    county=request.county_code,
                )
            )
        return DecisionNoticeRecord(notice.notice_id, request.county_code, now)

    return await create_once(transactions, decision_notices, key, replay, create)


async def receive_decision_notice_receipts(
    work: UnitOfWork, messages: Sequence[Incoming]
) -> Mapping[UUID, Rejection]:
    """Record when Kela received each notice (the first receipt's time stays). Parked: a
    receipt of a notice this side did not send (``decision_notice.unknown``) or addressed to
    another county (``decision_notice_receipt.wrong_county``)."""
    receipts = [(m.envelope, payload_of(m, DecisionNoticeReceipt)) for m in messages]
    sent = await stored_rows(work.conn, decision_notices, (r.notice_id for _, r in receipts))
    rejections: dict[UUID, Rejection] = {}
    for envelope, receipt in receipts:
        row = sent.get(str(receipt.notice_id))
        if row is None:
            rejections[envelope.message_id] = Rejection(
                "decision_notice.unknown", "no such decision notice here"
            )
        elif envelope.recipient != county_organisation(row.county_code):
            rejections[envelope.message_id] = Rejection(
                "decision_notice_receipt.wrong_county",
                "the receipt is addressed to another county than the one that sent the notice",
            )
        else:
            table = decision_notices
            await work.conn.execute(
                update(table)
                .where(table.c.notice_id == row.notice_id, table.c.acknowledged_at.is_(None))
                .values(acknowledged_at=receipt.received_at)
            )
    return rejections
