"""An append-only, hash-chained log in two tables: the entries and the chain head (one row).

Every entry holds ``seq``, the hash of the entry before it (``prev_hash``) and its own hash
(``entry_hash``: SHA-256 over the canonical JSON of its chained fields, ``prev_hash``
included); the head (``id`` 1: the last ``seq`` and hash) is updated in the same statement
group. Editing any field of an entry breaks its own hash, deleting an entry breaks the next
entry's ``prev_hash`` (and the ``seq`` run), deleting the newest entries disagrees with the
head: ``HashChain.verify`` finds each. The access log (``silta_protection.access_log``) and
the message log (``silta_protection.evidence``) are two such chains.

Appends are serialised on the head row, locked in the caller's transaction until it commits
(PostgreSQL; on SQLite every transaction here is ``BEGIN IMMEDIATE``, one writer). Each
process remembers the head it last wrote per database, so an append usually moves the head
*from* that remembered value (``UPDATE … WHERE last_seq = … AND last_hash = …``, which also
locks it) and inserts its entries: two statements on SQLite, one on PostgreSQL (a
data-modifying ``WITH`` moves the head, and the insert, given one array per column, inserts
only if it moved; the statement's text is the same for any number of entries, so it is
prepared once). Only when the head is not what was
remembered (another process or replica appended, or the transaction that wrote it rolled
back) is it read, locked (``SELECT … FOR UPDATE``), and the entries linked to what it says.
Every statement is a round trip on PostgreSQL, and each transaction that touches personal
data or a message appends to one chain or two.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from silta_messaging.timestamps import UtcDateTime
from silta_platform.db import as_utc, locking
from silta_schemas.canonical import canonical_json
from sqlalchemy import (
    Column,
    Index,
    Insert,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Update,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

GENESIS_HASH = "0" * 64
VERIFY_PART = 256
"""Entries verified between two turns of the event loop."""

_heads_written: weakref.WeakKeyDictionary[AsyncEngine, dict[str, tuple[int, str]]] = (
    weakref.WeakKeyDictionary()
)
"""Per database (engine) and chain head: the ``(last_seq, last_hash)`` this process last
wrote. A hint only: an append checks it in the statement that moves the head."""


# Every append runs these two: built once per chain, not once per append (building and
# keying a statement cost about as much as SQLite running it).
@functools.cache
def _head_read(head: Table, dialect: str) -> Select[Any]:
    """The head, locked until the transaction ends on PostgreSQL (``FOR UPDATE``)."""
    query = select(head.c.last_seq, head.c.last_hash).where(head.c.id == 1)
    return query.with_for_update() if dialect == "postgresql" else query


@functools.cache
def _head_move(head: Table) -> Update:
    return (
        update(head)
        .where(head.c.id == 1)
        .values(last_seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
    )


@functools.cache
def _head_move_from(head: Table) -> Update:
    """Moves the head only if it is still where this process left it."""
    return _head_move(head).where(
        head.c.last_seq == bindparam("old_seq"), head.c.last_hash == bindparam("old_hash")
    )


@functools.cache
def _append_from(entries: Table, head: Table) -> Insert:
    """PostgreSQL: moves the head from where this process left it and inserts the entries
    (one array per column) in ONE statement, a single round trip; inserts nothing when the
    head is not there (the update matched no row)."""
    names = [column.name for column in entries.columns]
    moved = _head_move_from(head).returning(head.c.id).cte("moved")
    arrays = [bindparam(f"{name}_list", type_=ARRAY(entries.c[name].type)) for name in names]
    linked = func.unnest(*arrays).table_valued(*names).render_derived()
    return insert(entries).from_select(
        names, select(*(linked.c[name] for name in names)).where(exists(select(moved.c.id)))
    )


def add_chain_entries(metadata: MetaData, name: str, *fields: Column[Any]) -> Table:
    """A chain's entries: ``seq`` and ``at``, the chained ``fields``, then the links."""
    return Table(
        name,
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", UtcDateTime(), nullable=False),
        *fields,
        Column("prev_hash", String(64), nullable=False),
        Column("entry_hash", String(64), nullable=False),
    )


def add_chain_head(metadata: MetaData, name: str, *, prunable: bool = False) -> Table:
    """A chain's head: one row (id 1), inserted by the migration that creates the table. A
    ``prunable`` chain's head also names the last entry pruned (``pruned_seq``, 0 if none,
    and its hash): verification starts after it."""
    pruned: list[Column[Any]] = (
        [
            Column("pruned_seq", Integer, nullable=False, server_default=text("0")),
            Column("pruned_hash", String(64), nullable=False, server_default=GENESIS_HASH),
        ]
        if prunable
        else []
    )
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("last_seq", Integer, nullable=False),
        Column("last_hash", String(64), nullable=False),
        *pruned,
    )


@dataclass(frozen=True)
class ChainTables:
    """A chain's two tables."""

    entries: Table
    head: Table


def add_chain(
    metadata: MetaData,
    name: str,
    fields: Mapping[str, int],
    *,
    nullable: Collection[str] = (),
    index: tuple[str, str],
    prunable: bool = False,
) -> tuple[Table, Table]:
    """A chain on ``metadata``: its entries (table ``name``; ``fields``: each a string of at
    most this length, null only if ``nullable``; an index ``index`` = (name, column) on the
    column and ``seq``) and its head (``{name}_head``)."""
    columns = [
        Column(field, String(length), nullable=field in nullable)
        for field, length in fields.items()
    ]
    entries = add_chain_entries(metadata, name, *columns)
    index_name, column = index
    Index(index_name, entries.c[column], entries.c.seq)
    return entries, add_chain_head(metadata, f"{name}_head", prunable=prunable)


def chain_hash(row: Mapping[str, Any], fields: Sequence[str], optional: Sequence[str] = ()) -> str:
    """SHA-256 over the canonical JSON of ``fields`` of ``row`` (datetimes as UTC ISO 8601,
    microseconds), and of each ``optional`` field that has a value (a field added to a chain
    later: the entries written before it keep their hash)."""
    present = [*fields, *(name for name in optional if row.get(name) is not None)]
    content = {
        name: as_utc(row[name]).isoformat(timespec="microseconds")
        if isinstance(row[name], datetime)
        else row[name]
        for name in present
    }
    return hashlib.sha256(canonical_json(content, ascii_only=False)).hexdigest()


@dataclass
class Verification:
    """The result of ``HashChain.verify``: ``ok`` when every entry and the head agree."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class HashChain:
    """A chain over ``entries`` (columns ``seq``, ``at``, the ``fields``, ``prev_hash``,
    ``entry_hash``) with its ``head`` (``id``, ``last_seq``, ``last_hash``)."""

    entries: Table
    head: Table
    fields: tuple[str, ...]
    """The chained fields besides ``seq``, ``at`` and ``prev_hash``."""
    optional: tuple[str, ...] = ()
    """Fields chained only when they have a value (added after entries were written)."""

    @property
    def chained(self) -> tuple[str, ...]:
        return ("seq", "at", *self.fields, "prev_hash")

    def hash(self, row: Mapping[str, Any]) -> str:
        return chain_hash(row, self.chained, self.optional)

    async def append(self, conn: AsyncConnection, contents: Sequence[Mapping[str, Any]]) -> None:
        """Append one entry per content (its ``fields``), in the caller's transaction."""
        if not contents:
            return
        written = _heads_written.setdefault(conn.engine, {})
        remembered = written.get(self.head.name)
        if remembered is not None:
            rows, moved_to = self._linked(contents, *remembered)
            if await self._append_after(conn, rows, remembered, moved_to):
                written[self.head.name] = moved_to
                return
        # The head is elsewhere: read and lock it, link to what it says.
        head = self.head
        current = (await conn.execute(_head_read(head, conn.dialect.name))).first()
        if current is None:  # a database created without the migration's head row
            await conn.execute(head.insert().values(id=1, last_seq=0, last_hash=GENESIS_HASH))
            rows, moved_to = self._linked(contents, 0, GENESIS_HASH)
        else:
            rows, moved_to = self._linked(contents, current.last_seq, current.last_hash)
        await conn.execute(_head_move(head), {"new_seq": moved_to[0], "new_hash": moved_to[1]})
        await conn.execute(self.entries.insert(), rows)
        written[head.name] = moved_to

    async def _append_after(
        self,
        conn: AsyncConnection,
        rows: Sequence[Mapping[str, Any]],
        old: tuple[int, str],
        new: tuple[int, str],
    ) -> bool:
        """Move the head from ``old`` to ``new`` and insert ``rows``, if the head is still at
        ``old``; False (nothing written) if it is not."""
        bound: dict[str, Any] = {
            "old_seq": old[0],
            "old_hash": old[1],
            "new_seq": new[0],
            "new_hash": new[1],
        }
        if conn.dialect.name == "postgresql":  # one statement
            for column in self.entries.columns:
                bound[f"{column.name}_list"] = [row.get(column.name) for row in rows]
            appended = await conn.execute(_append_from(self.entries, self.head), bound)
            return appended.rowcount == len(rows)
        if (await conn.execute(_head_move_from(self.head), bound)).rowcount != 1:
            return False
        await conn.execute(self.entries.insert(), rows)
        return True

    def _linked(
        self, contents: Sequence[Mapping[str, Any]], seq: int, prev: str
    ) -> tuple[list[dict[str, Any]], tuple[int, str]]:
        """The entries for ``contents`` following entry ``seq`` with hash ``prev``, and the
        head after them."""
        now = datetime.now(UTC)
        rows = []
        for content in contents:
            seq += 1
            row: dict[str, Any] = {**content, "seq": seq, "at": now, "prev_hash": prev}
            row["entry_hash"] = prev = self.hash(row)
            rows.append(row)
        return rows, (seq, prev)

    def check(self, row: Mapping[str, Any]) -> str | None:
        """What is wrong with one entry on its own (its hash), or None."""
        if self.hash(row) != row["entry_hash"]:
            return f"entry {row['seq']}: content does not match its hash"
        return None

    async def prune(
        self, conn: AsyncConnection, before: datetime, *, limit: int | None = None
    ) -> int:
        """Delete the oldest entries, those written before ``before`` (at most ``limit`` of
        them), in the caller's transaction; the head keeps the last one's number and hash,
        so the rest still verifies. Only from the start of the chain, never in the middle."""
        head, entries = self.head, self.entries
        query = select(head.c.pruned_seq).where(head.c.id == 1)
        pruned = (await conn.execute(locking(query, conn))).first()
        if pruned is None:
            return 0
        # The newest entry written before ``before`` among those after the last pruned, and
        # with ``limit`` among the next ``limit`` only (numbered without gaps): read by the
        # primary key. Asked of the whole chain, SQLite read every entry on every pass
        # (85-120 ms at 100,000 referrals, on the event loop), and the chain keeps years.
        oldest = select(func.max(entries.c.seq)).where(
            entries.c.seq > pruned.pruned_seq, entries.c.at < before
        )
        if limit is not None:
            oldest = oldest.where(entries.c.seq <= pruned.pruned_seq + limit)
        last = await conn.scalar(oldest)
        if last is None:
            return 0
        link = await conn.scalar(select(entries.c.entry_hash).where(entries.c.seq == last))
        removed = await conn.execute(delete(entries).where(entries.c.seq <= last))
        await conn.execute(
            update(head).where(head.c.id == 1).values(pruned_seq=last, pruned_hash=link)
        )
        return int(removed.rowcount or 0)

    async def _start(self, conn: AsyncConnection) -> tuple[str, int]:
        """The hash and number the first kept entry follows."""
        if "pruned_seq" not in self.head.c:
            return GENESIS_HASH, 0
        query = select(self.head.c.pruned_hash, self.head.c.pruned_seq)
        row = (await conn.execute(query)).first()
        return (row.pruned_hash, row.pruned_seq) if row else (GENESIS_HASH, 0)

    async def verify(self, conn: AsyncConnection) -> Verification:
        """Walk the chain from the first entry kept: each hash recomputed, each link and
        number checked, the head compared with the last entry.

        The chain grows with every message (25 µs of CPU an entry: 200,000 entries are
        seconds), so it is walked in parts of ``VERIFY_PART`` entries and the event loop
        serves others between parts. Fetched row by row, each row had cost a greenlet switch
        (40 % of the walk)."""
        result = Verification()
        prev, pruned = await self._start(conn)
        expected_seq = pruned + 1
        stream = await conn.stream(select(self.entries).order_by(self.entries.c.seq))
        async for part in stream.partitions(VERIFY_PART):
            for row in part:
                values = dict(row._mapping)
                seq = values["seq"]
                if seq != expected_seq:
                    result.problems.append(
                        f"entry {seq}: entries {expected_seq}..{seq - 1} are missing"
                    )
                if values["prev_hash"] != prev:
                    result.problems.append(f"entry {seq}: does not follow the entry before it")
                problem = self.check(values)
                if problem:
                    result.problems.append(problem)
                prev, expected_seq = values["entry_hash"], seq + 1
                result.entries += 1
            await asyncio.sleep(0)  # a part is some milliseconds of CPU: others' turn
        head = (await conn.execute(select(self.head.c.last_seq, self.head.c.last_hash))).first()
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
