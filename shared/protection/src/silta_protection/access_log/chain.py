"""Appending to the hash chain, in the caller's transaction, and verifying it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from silta_platform.db import as_utc, locking
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_protection.access_log.entry import Access
from silta_protection.access_log.table import GENESIS_HASH, AccessLogTables

# --- the chain ---------------------------------------------------------------------------

_CHAINED = (
    "seq",
    "at",
    "subject",
    "organisation",
    "role",
    "purpose",
    "action",
    "channel",
    "resource",
    "resource_id",
    "client_key",
    "prev_hash",
)


def entry_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an entry's fields (``at`` as UTC ISO 8601, µs)."""
    content = {name: row[name] for name in _CHAINED}
    if row.get("county") is not None:  # entries written before the column keep their hash
        content["county"] = row["county"]
    content["at"] = as_utc(row["at"]).isoformat(timespec="microseconds")
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record_access(
    conn: AsyncConnection, tables: AccessLogTables, accesses: Sequence[Access]
) -> None:
    """Append ``accesses`` to the chain, in the caller's transaction, as its last statement.

    A unit of work (``silta_platform.unit_of_work``) collects what its handlers account for
    and calls this once, when it flushes: a bus batch appends once, after all its handlers.
    """
    if accesses:
        await _append(conn, tables, accesses)


async def _append(
    conn: AsyncConnection, tables: AccessLogTables, accesses: Sequence[Access]
) -> None:
    head = tables.head
    query = select(head.c.last_seq, head.c.last_hash).where(head.c.id == 1)
    current = (await conn.execute(locking(query, conn))).first()
    if current is None:  # a database created without the migration's head row
        await conn.execute(head.insert().values(id=1, last_seq=0, last_hash=GENESIS_HASH))
        seq, prev = 0, GENESIS_HASH
    else:
        seq, prev = current.last_seq, current.last_hash
    now = datetime.now(UTC)
    rows = []
    for access in accesses:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "at": now,
            "subject": access.actor.subject[:200],
            "organisation": access.actor.organisation[:100],
            "role": access.actor.role[:200],
            "purpose": access.purpose,
            "action": access.action,
            "channel": access.channel,
            "resource": access.resource,
            "resource_id": access.resource_id,
            "client_key": access.client_key,
            "county": access.county,
            "prev_hash": prev,
        }
        row["entry_hash"] = prev = entry_hash(row)
        rows.append(row)
    await conn.execute(tables.entries.insert(), rows)
    await conn.execute(update(head).where(head.c.id == 1).values(last_seq=seq, last_hash=prev))


@dataclass
class Verification:
    """The result of ``verify_chain``: ``ok`` when every entry and the head agree."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_chain(conn: AsyncConnection, tables: AccessLogTables) -> Verification:
    """Walk the chain from the first entry: each hash recomputed, each link and number checked,
    the head compared with the last entry."""
    result = Verification()
    prev, expected_seq = GENESIS_HASH, 1
    stream = await conn.stream(select(tables.entries).order_by(tables.entries.c.seq))
    async for row in stream:
        values = dict(row._mapping)
        seq = values["seq"]
        if seq != expected_seq:
            result.problems.append(f"entry {seq}: entries {expected_seq}..{seq - 1} are missing")
        if values["prev_hash"] != prev:
            result.problems.append(f"entry {seq}: does not follow the entry before it")
        if entry_hash(values) != values["entry_hash"]:
            result.problems.append(f"entry {seq}: content does not match its hash")
        prev, expected_seq = values["entry_hash"], seq + 1
        result.entries += 1
    head = (await conn.execute(select(tables.head.c.last_seq, tables.head.c.last_hash))).first()
    last_seq = expected_seq - 1
    if head is None:
        if result.entries:
            result.problems.append("the chain head is missing")
    elif head.last_seq != last_seq or head.last_hash != prev:
        result.problems.append(
            f"the head names entry {head.last_seq}, the last entry is {last_seq}: "
            "entries at the end were removed or the head was altered"
        )
    return result


async def verify(engine: AsyncEngine, tables: AccessLogTables) -> Verification:
    async with engine.connect() as conn:
        return await verify_chain(conn, tables)
