"""A service settles its heap once built: what lives as long as the process is frozen out of
the collector's sight, and young collections run less often than Python's default."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from silta_platform.serve import YOUNG_GENERATION_THRESHOLD, settle_heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_a_settled_heap_is_frozen_and_collected_less_often() -> None:
    built = [[index] for index in range(10)]  # what the service built at start-up (tracked)

    settle_heap()

    assert gc.get_freeze_count() >= len(built)
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, 10, 10)
    assert YOUNG_GENERATION_THRESHOLD > 700  # Python's default


@pytest.mark.usefixtures("restored_collector")
def test_short_lived_cycles_are_still_collected() -> None:
    settle_heap()
    collected_before = sum(generation["collected"] for generation in gc.get_stats())

    for _ in range(3 * YOUNG_GENERATION_THRESHOLD):
        cycle: list[object] = []
        cycle.append(cycle)  # only the cyclic collector frees it

    assert sum(generation["collected"] for generation in gc.get_stats()) > collected_before
