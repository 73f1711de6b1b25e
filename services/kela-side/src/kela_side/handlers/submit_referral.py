"""POST /v1/referrals: store a referral and announce it, in a group commit.

It is the throughput path: concurrent submissions share one transaction
(``silta_platform.group_commit``), each with its own answer or its own refusal, decided by
the same rules in the same order as if they had come one at a time
(``kela_side.domain.submission``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from silta_messaging.outbox import OutboxEntry
from silta_platform.group_commit import GroupCommit
from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access, Actor
from silta_protection.encryption import DataCipher, cipher_of, client_key_of
from silta_records.status_history import StatusChange
from silta_schemas.idempotency import check_replay, fingerprint
from silta_schemas.ids import new_id
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import ReferralRequest
from silta_schemas.status import ReferralStatus
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.commands import SubmitReferral
from kela_side.db import referral_repository as stored
from kela_side.domain.referrals import SENT_SEQUENCE
from kela_side.domain.submission import (
    Candidate,
    KeyTaken,
    admit,
    check_request,
    refuse_duplicate,
)
from kela_side.messages import referral_entry
from kela_side.purposes import SEND_PURPOSE
from kela_side.records import ReferralRecord, Submitted
from kela_side.settings import KelaSettings


@dataclass(frozen=True)
class Submission:
    """One referral ready to be written: its rows, its message, and the record to answer."""

    candidate: Candidate
    record: ReferralRecord
    row: dict[str, Any]
    history_row: dict[str, Any]
    entry: OutboxEntry
    access: Access


class ReferralWriter:
    """The group commit of new referrals, one per service; it joins the service's units of
    work when first used, and wakes the relay after each commit."""

    def __init__(self) -> None:
        self._group: GroupCommit[Submission, ReferralRecord] | None = None

    def __call__(
        self, transactions: Transactions, cipher: DataCipher
    ) -> GroupCommit[Submission, ReferralRecord]:
        if self._group is None:
            self._group = GroupCommit(
                transactions.engine,
                functools.partial(_store, transactions, cipher),
                after_commit=transactions.wake_relay,
            )
        return self._group


async def submit_referral(
    command: SubmitReferral,
    transactions: Transactions,
    settings: KelaSettings,
    referral_writer: ReferralWriter,
) -> Submitted:
    """Store the referral and its message; answer it and whether it is new (not a replay).

    Refuses (``RuleRefused``) a referral that sets ``forwarded_from``, one repeating an
    Idempotency-Key with another body (``IdempotencyKeyReused``) and a duplicate of an open
    referral without ``new_referral_reason`` (``DuplicateReferral``).
    """
    request, cipher = command.referral, cipher_of(settings)
    check_request(request, settings.checklist)
    payload = request.model_dump(mode="json")
    request_fingerprint = fingerprint(payload)
    key = command.idempotency_key
    # A repeated Idempotency-Key is found by the group commit's own check of the keys taken
    # (``KeyTaken`` below), not by a read of its own before it: that read cost every keyed
    # POST a transaction on the service's one SQLite connection, for the rare replay.
    submission = prepare(request, payload, request_fingerprint, key, command.actor, settings)
    candidate = submission.candidate
    try:
        return Submitted(await referral_writer(transactions, cipher).submit(submission), True)
    except (exc.IntegrityError, KeyTaken):
        # A concurrent request won: the same Idempotency-Key, or the same client's referral.
        if key is not None:
            replay = await _replay(transactions, cipher, key, request_fingerprint)
            if replay is not None:
                return Submitted(replay, False)
        async with transactions.engine.connect() as conn:
            refuse_duplicate(await stored.oldest_open(conn, candidate.slot))
        raise


def prepare(
    request: ReferralRequest,
    payload: dict[str, Any],
    request_fingerprint: str,
    key: str | None,
    actor: Actor,
    settings: KelaSettings,
) -> Submission:
    """A referral that passed ``check_request`` and is not a replay, ready for the group
    commit: its rows (sealed), its message and the record to answer."""
    now = datetime.now(UTC)
    referral_id = new_id()
    client_key = client_key_of(settings, request.client.identity_code)
    row = stored.new_referral_row(
        request,
        referral_id,
        now,
        settings,
        client_key=client_key,
        payload=payload,
        idempotency_key=key,
        request_hash=request_fingerprint,
    )
    sent = StatusChange(SENT_SEQUENCE, ReferralStatus.SENT, now, KELA)
    candidate = Candidate(
        referral_id,
        client_key,
        request.kind,
        request.county_code,
        request.new_referral_reason,
        key,
    )
    return Submission(
        candidate=candidate,
        record=ReferralRecord(
            id=referral_id,
            kind=request.kind,
            county_code=request.county_code,
            recipient=county_organisation(request.county_code),
            status=ReferralStatus.SENT,
            created_at=now,
            updated_at=now,
            due_at=row["due_at"],
            new_referral_reason=request.new_referral_reason,
            history=[sent],
        ),
        row=row,
        history_row=sent.row(referral_id),
        entry=referral_entry(request, referral_id),
        access=Access(actor, "create", "referral", str(referral_id), client_key, SEND_PURPOSE),
    )


async def _replay(
    transactions: Transactions, cipher: DataCipher, key: str, request_fingerprint: str
) -> ReferralRecord | None:
    """The referral an earlier request with this Idempotency-Key created, if any."""
    async with transactions.engine.connect() as conn:
        found = await stored.by_idempotency_key(conn, key)
        if found is None:
            return None
        referral_id, stored_fingerprint = found
        check_replay(stored_fingerprint, request_fingerprint)
        return await stored.load(conn, referral_id, cipher)


async def _store(
    transactions: Transactions,
    cipher: DataCipher,
    conn: AsyncConnection,
    submissions: Sequence[Submission],
) -> list[ReferralRecord | Exception]:
    """Write a group of referrals in a few statements, refusing duplicates one by one."""
    candidates = [submission.candidate for submission in submissions]
    verdicts = admit(
        candidates,
        await stored.taken_idempotency_keys(
            conn, (c.idempotency_key for c in candidates if c.idempotency_key is not None)
        ),
        await stored.open_referrals(
            conn, (c.client_key for c in candidates if c.new_referral_reason is None)
        ),
    )
    admitted = [s for s, verdict in zip(submissions, verdicts, strict=True) if verdict is None]
    if admitted:
        await stored.add(conn, cipher, [s.row for s in admitted], [s.history_row for s in admitted])
        work = transactions.joining(conn)
        work.announce(*(s.entry for s in admitted))
        work.account(*(s.access for s in admitted))
        await work.flush()
    return [
        submission.record if verdict is None else verdict
        for submission, verdict in zip(submissions, verdicts, strict=True)
    ]
