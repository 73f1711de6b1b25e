"""Kela's updates of its part of the contact directory, sent to every county."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.unit_of_work import UnitOfWork
from silta_records.directory import directory_receiver
from silta_schemas.envelope import ALL_COUNTIES
from silta_schemas.parties import county_organisation

from municipality_side.db.tables import directory_entries
from municipality_side.settings import MunicipalitySettings


def own_part(settings: MunicipalitySettings) -> frozenset[str]:
    """The part of the contact directory this deployment maintains (over its API): the
    counties it serves."""
    return frozenset(county_organisation(code) for code in settings.served_counties)


async def receive_directory_updates(
    work: UnitOfWork, messages: Sequence[Incoming], settings: MunicipalitySettings
) -> Mapping[UUID, Rejection]:
    """Replace each entry, apply each removal, if newer than what this side holds (see
    ``silta_records.directory.directory_receiver`` for what is parked)."""
    receive = directory_receiver(directory_entries, recipient=ALL_COUNTIES, own=own_part(settings))
    return await receive(work, messages)
