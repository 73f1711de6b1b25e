"""Both sides of Silta as processes: started together, ready together, stopped together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from aio_pika.abc import AbstractConnection
from silta_messaging.failover import broker_urls, connect_failover

from silta_harness.process import ServiceProcess

READY_WITHIN_S = 30.0
"""How long a side may take to migrate its database, start and reach the broker."""


@dataclass
class System:
    """Kela's side and the municipality side, each a :class:`ServiceProcess`."""

    kela: ServiceProcess
    municipality: ServiceProcess

    @property
    def processes(self) -> tuple[ServiceProcess, ServiceProcess]:
        return (self.kela, self.municipality)

    def start(self) -> None:
        """The receiving side first, so Kela's first message finds it starting."""
        self.municipality.start()
        self.kela.start()

    async def wait_ready(
        self,
        *,
        within: float = READY_WITHIN_S,
        consuming: bool = False,
        processes: Sequence[ServiceProcess] = (),
    ) -> None:
        """Until both (or ``processes``) answer ``/readyz`` and, with ``consuming``, consume
        their queues: a message sent then finds its queue bound."""
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(httpx.AsyncClient())
            waiting = processes or self.processes
            # Each side's own broker (one each when every authority runs its own), at any
            # node that answers (queues and consumers are cluster-wide).
            connections: dict[str, AbstractConnection] = {}
            for url in {process.settings["AMQP_URL"] for process in waiting} if consuming else ():
                connections[url] = await connect_failover(broker_urls(url))
                stack.push_async_callback(connections[url].close)
            await asyncio.gather(
                *(
                    process.wait_ready(
                        client,
                        within=within,
                        consuming=connections.get(process.settings["AMQP_URL"]),
                    )
                    for process in waiting
                )
            )

    async def restart(self, process: ServiceProcess, *, within: float = READY_WITHIN_S) -> None:
        """Start a stopped side again (same port, database and queue); wait until it is
        ready and consuming."""
        assert not process.running(), f"{process.name} is still running"
        process.start()
        await self.wait_ready(within=within, consuming=True, processes=(process,))

    async def stop(self, *, kela_first: bool = False) -> dict[str, int | None]:
        """Stop both (SIGTERM) as an orchestrator would; return their exit codes by name.

        ``kela_first``: Kela's side is stopped before the county side, so nothing new enters
        the pipeline while the county side drains."""
        if kela_first:
            codes = [await process.stop() for process in self.processes]
        else:
            codes = list(await asyncio.gather(*(process.stop() for process in self.processes)))
        return {process.name: code for process, code in zip(self.processes, codes, strict=True)}
