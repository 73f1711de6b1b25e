"""Appending to the access log's hash chain (``silta_protection.chain``), in the caller's
transaction, and verifying it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_protection.access_log.entry import Access
from silta_protection.access_log.table import FIELDS, AccessLogTables
from silta_protection.chain import HashChain, Verification, chain_hash

__all__ = ["Verification", "entry_hash", "record_access", "verify", "verify_chain"]

_OPTIONAL = ("county",)
"""The county whose client record an entry concerns (added later: older entries lack it)."""
_FIELDS = tuple(name for name in FIELDS if name not in _OPTIONAL)


def chain_of(tables: AccessLogTables) -> HashChain:
    return HashChain(tables.entries, tables.head, _FIELDS, _OPTIONAL)


def entry_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an entry's fields (``at`` as UTC ISO 8601, µs)."""
    return chain_hash(row, ("seq", "at", *_FIELDS, "prev_hash"), _OPTIONAL)


async def record_access(
    conn: AsyncConnection, tables: AccessLogTables, accesses: Sequence[Access]
) -> None:
    """Append ``accesses`` to the chain, in the caller's transaction, as its last statement.

    A unit of work (``silta_platform.unit_of_work``) collects what its handlers account for
    and calls this once, when it flushes: a bus batch appends once, after all its handlers.
    """
    await chain_of(tables).append(
        conn,
        [
            {
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
            }
            for access in accesses
        ],
    )


async def verify_chain(conn: AsyncConnection, tables: AccessLogTables) -> Verification:
    """Walk the chain: each hash recomputed, each link and number checked, the head compared."""
    return await chain_of(tables).verify(conn)


async def verify(engine: AsyncEngine, tables: AccessLogTables) -> Verification:
    async with engine.connect() as conn:
        return await verify_chain(conn, tables)
