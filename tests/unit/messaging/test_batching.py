"""A consumer's next batch: a lone delivery is taken at once, a busy queue waits once for
more, and a batch never grows beyond its limit."""

from __future__ import annotations

import asyncio

from silta_messaging.batching import next_batch


def queue_of(*items: str) -> asyncio.Queue[str]:
    pending: asyncio.Queue[str] = asyncio.Queue()
    for item in items:
        pending.put_nowait(item)
    return pending


def arrives(pending: asyncio.Queue[str], item: str, *, after: float) -> None:
    asyncio.get_running_loop().call_later(after, pending.put_nowait, item)


async def test_a_lone_delivery_is_taken_without_waiting_for_company() -> None:
    pending = queue_of("a")
    arrives(pending, "b", after=0.05)

    batch = await next_batch(pending, most=200, linger=5.0)

    assert batch == ["a"]
    assert pending.empty()  # "b" has not arrived yet: nothing waited for it


async def test_the_first_delivery_is_awaited() -> None:
    pending = queue_of()
    arrives(pending, "a", after=0.01)

    assert await next_batch(pending, most=200, linger=5.0) == ["a"]


async def test_a_busy_queue_waits_once_for_what_is_on_its_way() -> None:
    pending = queue_of("a", "b")
    arrives(pending, "c", after=0.01)
    arrives(pending, "d", after=1.0)  # after the linger: left for the next batch

    batch = await next_batch(pending, most=200, linger=0.2)

    assert batch == ["a", "b", "c"]
    assert await next_batch(pending, most=200, linger=0.2) == ["d"]


async def test_a_full_batch_does_not_wait() -> None:
    pending = queue_of("a", "b", "c", "d")

    batch = await asyncio.wait_for(next_batch(pending, most=3, linger=30.0), timeout=5.0)

    assert batch == ["a", "b", "c"]
    assert pending.qsize() == 1


async def test_what_arrives_while_lingering_stops_at_the_limit() -> None:
    pending = queue_of("a", "b")
    for item in ("c", "d", "e"):
        arrives(pending, item, after=0.01)

    batch = await next_batch(pending, most=4, linger=0.2)

    assert batch == ["a", "b", "c", "d"]
    assert pending.get_nowait() == "e"


async def test_no_linger_takes_only_what_is_waiting() -> None:
    pending = queue_of("a", "b")
    arrives(pending, "c", after=0.0)

    assert await next_batch(pending, most=200, linger=0.0) == ["a", "b"]
