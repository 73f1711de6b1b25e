"""What-if experiments: run a service with monkeypatches that model suggested changes.

``python -m bench --what-if trace-relay,kela-relay-process`` starts the services through
``python -m bench.whatif <module> <patches>``, which applies the patches below and then
runs the service's normal ``main()``. Nothing outside ``bench/`` is changed; the default
benchmark never uses this. The patches are sketches for measuring how much a change would
bring, not production code.

Sketches that became real code are gone from here: one SQLite connection per engine
(``silta_platform.db``), the relay outside the transaction (``silta_messaging.relay``),
group commit of concurrent POSTs (``silta_platform.group_commit``), publishing without
waiting for each frame to drain (``silta_messaging.broker``) and one ack per batch
(``silta_messaging.consumer``).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable
from typing import Any


def _load(name: str) -> Any:
    """A project module, untyped on purpose: the services change under these sketches, and
    a stale patch must fail when it is used, not break type-checking of the benchmark."""
    return importlib.import_module(name)


Patch = Callable[[str], None]
"""Applies a change in the service process named by its module (``kela_side`` ...)."""

PATCHES: dict[str, Patch] = {}


def patch(name: str) -> Callable[[Patch], Patch]:
    def register(function: Patch) -> Patch:
        PATCHES[name] = function
        return function

    return register


@patch("trace-relay")
def _trace_relay(module: str) -> None:
    """No behaviour change: log every relay pass and slow publish (WARNING, in the log)."""
    import logging
    import time

    broker = _load("silta_messaging.broker")
    relay = _load("silta_messaging.relay")

    log = logging.getLogger("bench.trace")
    original_pass = relay.OutboxRelay.relay_once
    original_many = broker.Broker.publish_many
    original_publish = broker.Broker.publish

    async def relay_once(self: Any) -> int:
        started = time.perf_counter()
        published: int = await original_pass(self)
        if published:
            log.warning(
                "relay pass: %d confirmed in %.3f s", published, time.perf_counter() - started
            )
        return published

    async def publish_many(self: Any, messages: Any) -> list[BaseException | None]:
        started = time.perf_counter()
        results: list[BaseException | None] = await original_many(self, messages)
        failed = [type(error).__name__ for error in results if error is not None]
        log.warning(
            "publish_many: %d messages in %.3f s, failures %s",
            len(messages),
            time.perf_counter() - started,
            {name: failed.count(name) for name in set(failed)},
        )
        return results

    async def publish(self: Any, message: Any) -> None:
        started = time.perf_counter()
        try:
            await original_publish(self, message)
        finally:
            took = time.perf_counter() - started
            if took > 1.0:
                log.warning("publish of %s took %.3f s", message.message_id, took)

    relay.OutboxRelay.relay_once = relay_once
    broker.Broker.publish_many = publish_many
    broker.Broker.publish = publish


@patch("kela-relay-process")
def _kela_relay_process(module: str) -> None:
    """The Kela side's outbox relay runs in its own process (own event loop, own broker
    connection), polling every 50 ms, instead of sharing the HTTP server's event loop."""
    if module != "kela_side":
        return
    import os
    import subprocess

    relay = _load("silta_messaging.relay")

    async def idle(self: Any) -> None:
        await asyncio.Event().wait()

    relay.OutboxRelay.run = idle
    subprocess.Popen(
        [sys.executable, "-m", "bench.whatif", "--relay-only", module, str(os.getpid())]
    )


async def _relay_only(parent: int) -> None:
    """The body of ``kela-relay-process``'s child: the Kela side's runtime, wired as the
    service wires it (signing, encryption, sealing at rest, the message log, the lease), with
    only its broker connection and relay started; it relays until the service exits. No
    commit in this process wakes the relay, so it polls every 5 ms."""
    import os

    runtime = _load("silta_platform.runtime")

    async def relay_only(self: Any) -> None:
        self.relay._idle_poll = 0.005
        await self.broker.start()
        self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")

    runtime.Runtime.start = relay_only
    _load("silta_platform.logs").configure_logging("WARNING", "kela-side-relay")
    app = _load("kela_side.bootstrap").build_app()
    async with app.router.lifespan_context(app):
        # Nothing signals the parent's exit: its pid is polled (the service exited: so does
        # its relay).
        while os.getppid() == parent:  # noqa: ASYNC110
            await asyncio.sleep(0.2)


def main(argv: list[str]) -> None:
    if argv[0] == "--relay-only":
        import uvloop

        uvloop.run(_relay_only(int(argv[2])))
        return
    module, names = argv[0], [name for name in argv[1].split(",") if name]
    for name in names:
        if name not in PATCHES:
            raise SystemExit(f"unknown what-if patch {name!r}; known: {', '.join(PATCHES)}")
    entry = importlib.import_module(f"{module}.__main__")
    for name in names:
        PATCHES[name](module)
    entry.main()


if __name__ == "__main__":
    main(sys.argv[1:])
