"""Waiting for what crosses the bridge: poll an assertion until it holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

DEADLINE = 15.0
"""How long a message may take to cross the bridge and be acknowledged."""

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = DEADLINE, interval: float = 0.1
) -> T:
    """Call ``check`` until it returns without an AssertionError, or re-raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(interval)
