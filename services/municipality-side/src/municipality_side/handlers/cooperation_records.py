"""The cooperation records Kela sends about the counties' clients (case-manager periods,
cooperation cases): keep the newest snapshot of each (``silta_records.cooperation``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.unit_of_work import UnitOfWork
from silta_records.cooperation.snapshots import SnapshotKind, receive_snapshots

from municipality_side.db.cooperation import CASE_MANAGERS, COOPERATION_CASES
from municipality_side.purposes import COOPERATION_PURPOSE, MUNICIPALITY_SERVICE
from municipality_side.settings import MunicipalitySettings

Receiver = Callable[[UnitOfWork, Sequence[Incoming], MunicipalitySettings], Awaitable[Any]]


def receiver(kind: SnapshotKind[Any]) -> Receiver:
    """The handler of ``kind``'s messages: rejected (parked) are those for a county this
    deployment does not serve and those that would move a record to another client or county;
    a repeated or older snapshot changes nothing."""

    async def receive(
        work: UnitOfWork, messages: Sequence[Incoming], settings: MunicipalitySettings
    ) -> Mapping[UUID, Rejection]:
        return await receive_snapshots(
            work,
            messages,
            kind,
            settings,
            served=settings.served_counties,
            service=MUNICIPALITY_SERVICE,
            purpose=COOPERATION_PURPOSE,
            now=datetime.now(UTC),
        )

    return receive


receive_case_manager_periods = receiver(CASE_MANAGERS)
receive_cooperation_cases = receiver(COOPERATION_CASES)
