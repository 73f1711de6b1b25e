"""What Kela's side does with each step in a cooperation record's life (case-manager period,
cooperation case): work out the record as it then stands (the kind's step), keep the new
snapshot, send it whole to the client's county and log the handling, in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import Transactions, UnitOfWork
from silta_protection.access_log import Access, Actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.cooperation.dates import finnish_today
from silta_records.cooperation.snapshots import SnapshotKind
from silta_schemas.errors import NotFound
from sqlalchemy import Row

from kela_side.commands import ChangeRecord
from kela_side.messages import to_client_county
from kela_side.records import Recorded
from kela_side.settings import KelaSettings


@dataclass(frozen=True)
class Keeper:
    """Keeps one kind of record, for one purpose (the access log's)."""

    kind: SnapshotKind[Any]
    purpose: str

    async def current(
        self, work: UnitOfWork, settings: ServiceSettings, record_id: UUID
    ) -> tuple[Row[Any], Any]:
        """The record's row and snapshot; raises ``NotFound``."""
        row = await self.kind.load(work.conn, record_id)
        if row is None:
            raise NotFound(self.kind.resource.replace("_", " "))
        return row, self.kind.open(row, cipher_of(settings))

    async def keep(
        self,
        work: UnitOfWork,
        settings: ServiceSettings,
        snapshot: Any,
        actor: Actor,
        now: datetime,
        *,
        new: bool,
    ) -> Recorded:
        """Keep ``snapshot`` and send it to the client's county."""
        key = client_key_of(settings, snapshot.client.identity_code)
        row = self.kind.row(snapshot, cipher_of(settings), key, now)
        await self.kind.save(work.conn, row, new=new)
        work.announce(to_client_county(snapshot, snapshot.county_code))
        action: Literal["create", "update"] = "create" if new else "update"
        county = snapshot.county_code
        work.account(
            Access(actor, action, self.kind.resource, row["id"], key, self.purpose, county=county)
        )
        return Recorded(row, changed=True)


@dataclass(frozen=True)
class Moment:
    """When a step happens: the time, and the day in Finland."""

    now: datetime
    today: date


Apply = Callable[[UnitOfWork, KelaSettings, Any, Any, Moment], Awaitable[Any]]
"""A step: (work, settings, the record's snapshot or None for a new one, the request, when) →
the record as it then stands, or None if the request changes nothing. Raises ``RuleRefused``."""


@dataclass(frozen=True)
class Step:
    keeper: Keeper
    apply: Apply


def change_record_handler(
    steps: Mapping[type, Step],
) -> Callable[[ChangeRecord, Transactions, KelaSettings], Awaitable[Recorded]]:
    """The handler of ``ChangeRecord``: each request type has its step. A request that changes
    nothing keeps the record as it is and sends nothing."""

    async def change_record(
        command: ChangeRecord, transactions: Transactions, settings: KelaSettings
    ) -> Recorded:
        step = steps[type(command.request)]
        now = datetime.now(UTC)
        async with transactions.begin() as work:
            row, current = None, None
            if command.record_id is not None:
                row, current = await step.keeper.current(work, settings, command.record_id)
            after = await step.apply(
                work, settings, current, command.request, Moment(now, finnish_today(now))
            )
            if after is None:
                assert row is not None  # a new record always changes something
                return Recorded(row._asdict(), changed=False)
            new = current is None
            return await step.keeper.keep(work, settings, after, command.actor, now, new=new)

    return change_record
