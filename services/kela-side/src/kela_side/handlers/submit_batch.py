"""POST /v1/referrals/batch: a batch of referrals, each decided as the single POST decides it.

Nothing here is a rule: every entry goes through ``check_request``, the Idempotency-Key
replay check and the group commit's ``admit`` of ``kela_side.handlers.submit_referral``,
exactly as if the entries had been posted one at a time in order. What differs is the cost:
the replays are looked up in one query per batch instead of one per request, and every
entry is handed to the group commit at once, so it writes them in transactions of
``GroupCommit``'s largest group (multi-row inserts with their outbox and access-log rows)
and the relay publishes them in batches of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from silta_platform.unit_of_work import Transactions
from silta_protection.encryption import cipher_of
from silta_schemas.errors import RuleRefused
from silta_schemas.idempotency import IdempotencyKeyReused, fingerprint
from sqlalchemy import exc

from kela_side.commands import BatchEntry, SubmitReferrals
from kela_side.db import referral_repository as stored
from kela_side.domain.submission import KeyTaken, check_request, refuse_duplicate
from kela_side.handlers.submit_referral import ReferralWriter, Submission, prepare
from kela_side.records import BatchOutcome, ReferralRecord, Stored
from kela_side.settings import KelaSettings

Taken = Mapping[str, tuple[UUID, str | None]]


async def submit_referrals(
    command: SubmitReferrals,
    transactions: Transactions,
    settings: KelaSettings,
    referral_writer: ReferralWriter,
) -> list[BatchOutcome]:
    """One outcome per entry, in order: ``Stored`` (created, or the earlier referral of the
    same key and body), else the ``RuleRefused`` the single POST would have raised."""
    entries = command.entries
    payloads: list[dict[str, Any]] = []
    fingerprints: list[str | None] = []
    outcomes: list[BatchOutcome | None] = []
    for entry in entries:
        payloads.append(entry.referral.model_dump(mode="json"))
        try:
            check_request(entry.referral, settings.checklist)
        except RuleRefused as refusal:
            outcomes.append(refusal)
            fingerprints.append(None)
            continue
        outcomes.append(None)
        fingerprints.append(fingerprint(payloads[-1]))
    taken = await _taken(transactions, entries)
    waiting: list[tuple[int, Submission]] = []
    for index, (entry, digest) in enumerate(zip(entries, fingerprints, strict=True)):
        if digest is None:
            continue
        replayed = _replayed(taken, entry.idempotency_key, digest)
        if replayed is not None:
            outcomes[index] = replayed
            continue
        submission = prepare(
            entry.referral, payloads[index], digest, entry.idempotency_key, command.actor, settings
        )
        waiting.append((index, submission))
    writer = referral_writer(transactions, cipher_of(settings))
    written = await asyncio.gather(
        *(writer.submit(submission) for _, submission in waiting), return_exceptions=True
    )
    lost: list[tuple[int, Submission]] = []
    for (index, submission), result in zip(waiting, written, strict=True):
        if isinstance(result, ReferralRecord):
            outcomes[index] = Stored(result.id, True)
        elif isinstance(result, RuleRefused):
            outcomes[index] = result
        elif isinstance(result, KeyTaken | exc.IntegrityError):
            lost.append((index, submission))
        else:
            raise result
    if lost:
        await _settle_lost(transactions, entries, fingerprints, lost, outcomes)
    decided = [outcome for outcome in outcomes if outcome is not None]
    assert len(decided) == len(entries), "every entry has its outcome"
    return decided


async def _taken(transactions: Transactions, entries: Sequence[BatchEntry]) -> Taken:
    async with transactions.engine.connect() as conn:
        return await stored.by_idempotency_keys(conn, (e.idempotency_key for e in entries))


def _replayed(taken: Taken, key: str, digest: str) -> BatchOutcome | None:
    """The earlier referral under ``key`` (the same body), its refusal (another body), or
    None when the key is new."""
    found = taken.get(key)
    if found is None:
        return None
    referral_id, stored_fingerprint = found
    if stored_fingerprint != digest:
        return IdempotencyKeyReused()
    return Stored(referral_id, False)


async def _settle_lost(
    transactions: Transactions,
    entries: Sequence[BatchEntry],
    fingerprints: Sequence[str | None],
    lost: Sequence[tuple[int, Submission]],
    outcomes: list[BatchOutcome | None],
) -> None:
    """Entries another writer beat, as the single POST settles them: its key taken meanwhile
    (an earlier entry of this batch, or a concurrent request) is a replay, else the client's
    open referral refuses it."""
    taken = await _taken(transactions, [entries[index] for index, _ in lost])
    async with transactions.engine.connect() as conn:
        for index, submission in lost:
            digest = fingerprints[index]
            assert digest is not None  # only checked entries were written
            replayed = _replayed(taken, entries[index].idempotency_key, digest)
            if replayed is not None:
                outcomes[index] = replayed
                continue
            try:
                refuse_duplicate(await stored.oldest_open(conn, submission.candidate.slot))
            except RuleRefused as refusal:
                outcomes[index] = refusal
                continue
            raise RuntimeError("a batch entry was refused by the database for no known rule")
