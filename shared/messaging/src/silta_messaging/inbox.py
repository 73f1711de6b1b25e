"""The idempotent inbox: a consumer's batch claims its message ids before it is processed.

One ``INSERT … ON CONFLICT DO NOTHING RETURNING message_id`` both records the batch's ids
and says which of them are new: one round trip where a look-up and a later insert took two
(each a round trip on PostgreSQL, on every batch of both sides). The ids are inserted in
sorted order, so two replicas claiming overlapping batches wait for each other in one order
and never deadlock; the second finds the first's ids taken once it commits. Only when some
id was taken already (a redelivery, or a replay) are their stored digests read. The claim of
a message that is then not processed (rejected and parked) is released in the same
transaction, so a message requeued from the parking queue is processed when it comes back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Delete, Insert, Select, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class Claim:
    """One message's inbox row: its id, kind and the digest of the body processed."""

    message_id: str
    kind: str
    body_sha256: str | None


@dataclass(frozen=True)
class Claimed:
    """What a claim found: the ids new to the inbox (now claimed) and, for each id it held
    already, the digest it was processed with (None for rows written before digests)."""

    new: frozenset[str]
    seen: Mapping[str, str | None]


class Inbox:
    """The claims on one inbox table; its statements built once per dialect."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._claims: dict[str, Insert] = {}
        self._seen: Select[Any] = select(table.c.message_id, table.c.body_sha256).where(
            table.c.message_id.in_(bindparam("ids", expanding=True))
        )
        self._release: Delete = delete(table).where(
            table.c.message_id.in_(bindparam("ids", expanding=True))
        )

    def _claim_statement(self, dialect: str) -> Insert:
        statement = self._claims.get(dialect)
        if statement is None:
            make = postgresql.insert if dialect == "postgresql" else sqlite.insert
            table = self._table
            statement = (
                make(table)
                .on_conflict_do_nothing(index_elements=[table.c.message_id])
                .returning(table.c.message_id)
            )
            self._claims[dialect] = statement
        return statement

    async def claim(
        self, conn: AsyncConnection, claims: Sequence[Claim], received_at: datetime
    ) -> Claimed:
        """Claim each message id not in the inbox yet, in the caller's transaction."""
        if not claims:
            return Claimed(frozenset(), {})
        rows = [
            {
                "message_id": claim.message_id,
                "kind": claim.kind,
                "received_at": received_at,
                "body_sha256": claim.body_sha256,
            }
            for claim in sorted(claims, key=lambda claim: claim.message_id)
        ]
        statement = self._claim_statement(conn.dialect.name)
        new = frozenset(row.message_id for row in await conn.execute(statement, rows))
        taken = [claim.message_id for claim in claims if claim.message_id not in new]
        seen: dict[str, str | None] = {}
        if taken:
            result = await conn.execute(self._seen, {"ids": taken})
            seen = {row.message_id: row.body_sha256 for row in result}
        return Claimed(new, seen)

    async def release(self, conn: AsyncConnection, message_ids: Collection[str]) -> None:
        """Give up the claims of messages that were not processed after all."""
        if message_ids:
            await conn.execute(self._release, {"ids": list(message_ids)})
