"""The routing-key grammar, written once: where each side's messages go and what a county
side's queues read."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from silta_messaging.outbox import OutboxEntry
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    KELA_EXCHANGE,
    child_welfare_bindings,
    county_bindings,
)
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.envelope import ALL_COUNTIES, seal
from silta_schemas.parties import KELA


def _update() -> DirectoryUpdate:
    return DirectoryUpdate(
        kind="directory_update", removed=(uuid4(),), changed_at=datetime.now(UTC)
    )


def test_kela_broadcast_goes_to_every_county_on_kelas_exchange() -> None:
    entry = OutboxEntry.addressed(seal(_update(), sender=KELA, recipient=ALL_COUNTIES))
    assert (entry.exchange, entry.routing_key) == (KELA_EXCHANGE, "directory_update.all")
    assert entry.routing_key in county_bindings(["11"])  # every county side reads it


@pytest.mark.parametrize("county", ["01", "11", "90"])
def test_a_county_message_is_keyed_by_the_sending_county(county: str) -> None:
    entry = OutboxEntry.addressed(seal(_update(), sender=f"county-{county}", recipient=KELA))
    assert (entry.exchange, entry.routing_key) == (COUNTY_EXCHANGE, f"directory_update.{county}")


def test_county_queues_read_their_counties_only_and_child_welfare_apart() -> None:
    assert county_bindings(["90", "11"]) == ("*.11", "*.90", "directory_update.all")
    assert child_welfare_bindings(["90", "11"]) == ("*.11.child_welfare", "*.90.child_welfare")
