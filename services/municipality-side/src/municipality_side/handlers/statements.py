"""POST /v1/statements: a county sends Kela a statement of social work. It is stored with its
outbox message in one transaction; Kela's receipt follows (``statement_receipts``)."""

from __future__ import annotations

from datetime import UTC, datetime

from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access
from silta_protection.encryption import DataCipher, cipher_of, client_key_of
from silta_schemas.idempotency import check_replay, fingerprint
from silta_schemas.ids import new_id
from silta_schemas.statements import Statement
from sqlalchemy import exc

from municipality_side.commands import SendStatement
from municipality_side.db import referral_repository, statement_repository
from municipality_side.domain.statements import (
    check_county_served,
    check_statement_referral,
)
from municipality_side.messages import to_kela
from municipality_side.purposes import STATEMENT_PURPOSE
from municipality_side.records import Sent, StatementRecord
from municipality_side.settings import MunicipalitySettings


async def send_statement(
    command: SendStatement, transactions: Transactions, settings: MunicipalitySettings
) -> Sent:
    """The statement, and whether this request sent it (not a replay of its
    Idempotency-Key). Raises ``RuleRefused`` (``domain.statements``), ``IdempotencyKeyReused``
    among them."""
    request, key = command.request, command.idempotency_key
    check_county_served(request.county_code, command.counties)
    digest = fingerprint(request.model_dump(mode="json"))
    if key is not None:
        replay = await _replay(transactions, key, digest, cipher_of(settings))
        if replay is not None:
            return Sent(replay, created=False)
    statement = Statement(
        kind="statement",
        statement_id=new_id(),
        **request.model_dump(exclude={"county_code", "referral_id"}),
    )
    entry = to_kela(statement, request.county_code, request.referral_id)
    now = datetime.now(UTC)
    client_key = client_key_of(settings, statement.client.identity_code)
    try:
        async with transactions.begin() as work:
            if request.referral_id is not None:
                county = await referral_repository.county_of(work.conn, request.referral_id)
                check_statement_referral(county, request.county_code)
            await statement_repository.add(
                work.conn,
                statement,
                county_code=request.county_code,
                referral_id=request.referral_id,
                client_key=client_key,
                cipher=cipher_of(settings),
                sent_at=now,
                idempotency_key=key,
                fingerprint=digest,
            )
            work.announce(entry)
            work.account(
                Access(
                    command.actor,
                    "create",
                    "statement",
                    str(statement.statement_id),
                    client_key,
                    STATEMENT_PURPOSE,
                    county=request.county_code,
                )
            )
    except exc.IntegrityError:
        # A concurrent request with the same Idempotency-Key won.
        replay = (
            None if key is None else await _replay(transactions, key, digest, cipher_of(settings))
        )
        if replay is None:
            raise
        return Sent(replay, created=False)
    record = StatementRecord(
        id=statement.statement_id,
        county_code=request.county_code,
        referral_id=request.referral_id,
        topics=[topic.value for topic in statement.topics],
        made_at=statement.made_at,
        sent_at=now,
        received_by_kela_at=None,
        statement=statement.model_dump(mode="json"),
    )
    return Sent(record, created=True)


async def _replay(
    transactions: Transactions, key: str, digest: str, cipher: DataCipher
) -> StatementRecord | None:
    """The statement an earlier request with the same Idempotency-Key sent, if any."""
    async with transactions.engine.connect() as conn:
        row = await statement_repository.by_idempotency_key(conn, key)
    if row is None:
        return None
    check_replay(row.request_hash, digest)
    return statement_repository.statement_record(row, cipher)
