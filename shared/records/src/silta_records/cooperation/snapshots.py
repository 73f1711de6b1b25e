"""Records Kela keeps about a client and replicates whole to the client's county: case-manager
periods and cooperation cases, stored alike on both sides.

Each message of such a kind carries the record as it now stands (a snapshot), so both sides
keep one row per record: the snapshot sealed (it holds the identity code), the keyed hash of
the code to find a client's records, and the plain columns a list filters and sorts by
(dates, the last action), none of them personal. The county keeps the newest snapshot by
``recorded_at``: one arriving late, or again, changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel
from silta_messaging.incoming import Incoming, Rejection
from silta_messaging.timestamps import UtcDateTime
from silta_platform.db import as_utc
from silta_platform.handlers import payload_of
from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import DataCipher, SealedColumn, cipher_of, client_key_of
from silta_schemas.errors import RuleRefused
from sqlalchemy import Column, Date, Index, MetaData, Row, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records.record_columns import sealed_payload


class ClientSnapshot(Protocol):
    """What every replicated record's payload has."""

    @property
    def county_code(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def client(self) -> Any: ...


S = TypeVar("S", bound=BaseModel)


def snapshot_table(
    metadata: MetaData, name: str, dates: Mapping[str, bool], listed_by: str
) -> Table:
    """A replicated record's table: ``dates`` are its kind's plain date columns (name →
    required), ``listed_by`` the one its lists filter on, indexed per county."""
    return Table(
        name,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("county_code", String(2), nullable=False),
        *sealed_payload(client_key_required=True),
        Column("action", String(20), nullable=False),
        *[Column(column, Date, nullable=not required) for column, required in dates.items()],
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Index(f"ix_{name}_client", "client_key"),
        Index(f"ix_{name}_county_{listed_by}", "county_code", listed_by),
    )


@dataclass(frozen=True)
class SnapshotKind(Generic[S]):
    """One replicated kind as a side stores it."""

    table: Table
    model: type[S]
    resource: str
    """Its name in the access log, e.g. ``case_manager_period``."""
    id_of: Callable[[S], UUID]
    dates: tuple[str, ...]
    """The snapshot's dates kept in plain columns of the same names: nothing personal."""

    @property
    def sealed(self) -> SealedColumn:
        return SealedColumn(self.table, "id", client_key_column="client_key")

    def row(self, payload: S, cipher: DataCipher, client_key: str, now: datetime) -> dict[str, Any]:
        """The row of ``payload``: sealed, bound to the record's id."""
        snapshot: Any = payload
        key = str(self.id_of(payload))
        return {
            "id": key,
            "county_code": snapshot.county_code,
            "payload": self.sealed.seal(cipher, payload.model_dump(mode="json"), key),
            "client_key": client_key,
            "action": str(snapshot.action),
            **{column: getattr(payload, column) for column in self.dates},
            "recorded_at": snapshot.recorded_at,
            "updated_at": now,
        }

    def open(self, row: Row[Any], cipher: DataCipher) -> S:
        """The snapshot a row holds."""
        return self.model.model_validate(self.sealed.open(cipher, row.payload, row.id))

    async def load(self, conn: AsyncConnection, record_id: UUID) -> Row[Any] | None:
        query = select(self.table).where(self.table.c.id == str(record_id))
        return (await conn.execute(query)).first()

    async def save(self, conn: AsyncConnection, row: Mapping[str, Any], *, new: bool) -> None:
        """Insert the record's first row, or replace the one stored."""
        if new:
            await conn.execute(self.table.insert().values(**row))
        else:
            values = {name: value for name, value in row.items() if name != "id"}
            await conn.execute(
                self.table.update().where(self.table.c.id == row["id"]).values(**values)
            )

    async def of_client(
        self, conn: AsyncConnection, client_key: str, counties: frozenset[str] | None
    ) -> Sequence[Row[Any]]:
        """One client's records (of ``counties``, all if None), newest first."""
        query = select(self.table).where(self.table.c.client_key == client_key)
        if counties is not None:
            query = query.where(self.table.c.county_code.in_(sorted(counties)))
        query = query.order_by(self.table.c.recorded_at.desc(), self.table.c.id)
        return list((await conn.execute(query)).all())


def recorded_at(row: Row[Any]) -> datetime:
    return as_utc(row.recorded_at)


async def receive_snapshots(
    work: UnitOfWork,
    messages: Sequence[Incoming],
    kind: SnapshotKind[Any],
    settings: ServiceSettings,
    *,
    served: frozenset[str],
    service: str,
    purpose: str,
    now: datetime,
) -> Mapping[UUID, Rejection]:
    """Keep the newest snapshot of each record Kela sent; log each one stored.

    Rejected (parked): a snapshot for a county this deployment does not serve
    (``county.not_served``), and one whose client or county differs from the record's
    (``<resource>.identity_changed``: a record stays about one client of one county).
    """
    cipher = cipher_of(settings)
    rejections: dict[UUID, Rejection] = {}
    for message in messages:
        envelope, payload = message.envelope, payload_of(message, kind.model)
        snapshot: Any = payload
        client_key = client_key_of(settings, snapshot.client.identity_code)
        try:
            if snapshot.county_code not in served:
                raise RuleRefused("county.not_served", "this deployment does not serve the county")
            stored = await kind.load(work.conn, kind.id_of(payload))
            if stored is not None and (stored.client_key, stored.county_code) != (
                client_key,
                snapshot.county_code,
            ):
                raise RuleRefused(
                    f"{kind.resource}.identity_changed",
                    "the record is kept for another client or county",
                )
        except RuleRefused as refusal:
            rejections[envelope.message_id] = Rejection(refusal.rule, refusal.detail)
            continue
        if stored is not None and snapshot.recorded_at <= recorded_at(stored):
            continue  # a repeat, or older than what is kept
        row = kind.row(payload, cipher, client_key, now)
        await kind.save(work.conn, row, new=stored is None)
        work.account(
            Access(
                service_actor(service, envelope.sender),
                "create" if stored is None else "update",
                kind.resource,
                row["id"],
                client_key,
                purpose,
                "bus",
                county=snapshot.county_code,
            )
        )
    return rejections


def replicated(
    metadata: MetaData,
    name: str,
    model: type[S],
    id_of: Callable[[S], UUID],
    dates: Mapping[str, bool],
    listed_by: str,
) -> SnapshotKind[S]:
    """A replicated kind kept in table ``name`` of ``metadata`` (``snapshot_table``); its
    access-log resource is the singular of ``name``."""
    table = snapshot_table(metadata, name, dates, listed_by)
    return SnapshotKind(table, model, name.removesuffix("s"), id_of, tuple(dates))
