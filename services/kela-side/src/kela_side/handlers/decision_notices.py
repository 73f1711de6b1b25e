"""The counties' decision notices: Kela stores each, for the officer deciding the client's
basic assistance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_messaging.outbox import OutboxEntry
from silta_platform.handlers import payload_of
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.client_records import owners
from silta_records.decision_notices import notice_row
from silta_schemas.decisions import DecisionNotice, DecisionNoticeReceipt
from silta_schemas.envelope import seal
from silta_schemas.errors import RuleRefused
from silta_schemas.parties import KELA, county_code_of

from kela_side.db.tables import decision_notices
from kela_side.domain.decision_notices import check_basis_accepted, check_same_county
from kela_side.purposes import DECISION_NOTICE_RECEIVE_PURPOSE, KELA_SERVICE
from kela_side.settings import KelaSettings


def receipt(notice: DecisionNotice, county: str, now: datetime) -> OutboxEntry:
    """Kela's receipt of ``notice``, to the county that sent it: nothing personal."""
    payload = DecisionNoticeReceipt(
        kind="decision_notice_receipt", notice_id=notice.notice_id, received_at=now
    )
    return OutboxEntry.addressed(seal(payload, sender=KELA, recipient=county))


async def receive_decision_notices(
    work: UnitOfWork, messages: Sequence[Incoming], settings: KelaSettings
) -> Mapping[UUID, Rejection]:
    """Store each notice once, and send the county Kela's receipt (again for a repeat).

    Rejected (parked): a notice under a legal basis Kela's side does not accept
    (``decision_notice.legal_basis_not_accepted``), one whose id another county's notice has
    (``decision_notice.duplicate_id``). The same notice again changes nothing.
    """
    cipher = cipher_of(settings)
    notices = {m.envelope.message_id: payload_of(m, DecisionNotice) for m in messages}
    senders = await owners(work.conn, decision_notices, (n.notice_id for n in notices.values()))
    now = datetime.now(UTC)
    rejections: dict[UUID, Rejection] = {}
    rows: list[dict[str, Any]] = []
    for message in messages:
        envelope = message.envelope
        notice = notices[envelope.message_id]
        key = str(notice.notice_id)
        try:
            check_basis_accepted(notice.legal_basis, settings.decision_notice_legal_bases)
            new = check_same_county(senders.get(key), envelope.sender, "decision_notice")
        except RuleRefused as refusal:
            rejections[envelope.message_id] = Rejection(refusal.rule, refusal.detail)
            continue
        work.announce(receipt(notice, envelope.sender, now))
        if not new:
            continue
        senders[key] = envelope.sender
        county_code = county_code_of(envelope.sender)
        assert county_code is not None  # the envelope's route: a county sends it
        client_key = client_key_of(settings, notice.client.identity_code)
        rows.append(
            notice_row(
                decision_notices,
                notice,
                cipher,
                sender=envelope.sender,
                county_code=county_code,
                client_key=client_key,
                recorded_at=now,
                message_id=str(envelope.message_id),
            )
        )
        actor = service_actor(KELA_SERVICE, envelope.sender)
        work.account(
            Access(
                actor, "create", "decision_notice", key, client_key, DECISION_NOTICE_RECEIVE_PURPOSE
            )
        )
    if rows:
        await work.conn.execute(decision_notices.insert(), rows)
    return rejections
