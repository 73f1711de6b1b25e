"""What Kela's side does with each change of a cooperation record (case-manager period,
cooperation case): keep the new snapshot, send it whole to the client's county and log the
handling, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, Actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.cooperation.snapshots import SnapshotKind
from silta_schemas.errors import NotFound
from sqlalchemy import Row

from kela_side.messages import to_client_county
from kela_side.records import Recorded


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


def unchanged(row: Row[Any]) -> Recorded:
    return Recorded(row._asdict(), changed=False)
