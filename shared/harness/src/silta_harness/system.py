"""Both sides of Silta as processes: started together, ready together, stopped together."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import aio_pika
import httpx

from silta_harness.process import ServiceProcess


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
        self, client: httpx.AsyncClient, *, within: float, consuming: bool = False
    ) -> None:
        """Until both answer ``/readyz`` (and, with ``consuming``, both consume their queues)."""
        async with contextlib.AsyncExitStack() as stack:
            connection = None
            if consuming:
                connection = await aio_pika.connect(self.kela.settings["AMQP_URL"])
                stack.push_async_callback(connection.close)
            await asyncio.gather(
                *(
                    process.wait_ready(client, within=within, consuming=connection)
                    for process in self.processes
                )
            )

    async def stop(self, *, kela_first: bool = False) -> dict[str, int | None]:
        """Stop both (SIGTERM) as an orchestrator would; return their exit codes by name.

        ``kela_first``: Kela's side is stopped before the county side, so nothing new enters
        the pipeline while the county side drains."""
        if kela_first:
            codes = [await process.stop() for process in self.processes]
        else:
            codes = list(await asyncio.gather(*(process.stop() for process in self.processes)))
        return {process.name: code for process, code in zip(self.processes, codes, strict=True)}
