"""A service's moving parts around its HTTP API: engine, broker, outbox relay, consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from silta_messaging.availability import Outage, database_unavailable
from silta_messaging.broker import Broker
from silta_messaging.consumer import BatchConsumer
from silta_messaging.message_log import MessageLog
from silta_messaging.outbox import BodySeal
from silta_messaging.relay import OutboxRelay
from silta_messaging.tables import MessagingTables
from silta_messaging.topology import ConsumerQueue
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_platform.bus_security import (
    broker_tls_context,
    sealer_from,
    signer_from,
    unsealer_from,
    verifier_from,
)
from silta_platform.db import long_read_engine
from silta_platform.handlers import Command, CommandBus, inject
from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import AccessRecorder, Transactions, message_handlers

log = logging.getLogger(__name__)


class Companion(Protocol):
    """A task that runs beside the relay as long as the service runs (the change feed and
    its webhook dispatcher, ``silta_records.events``)."""

    def wake(self) -> None:
        """Something may have been committed: after every commit that announced or consumed
        messages (every change that records an event does one or the other)."""

    async def run(self) -> None:
        """Work until ``stop``."""

    def stop(self) -> None:
        """Let ``run`` return soon."""


CompanionFactory = Callable[[ServiceSettings, AsyncEngine], Companion]
C = TypeVar("C")


@dataclass(frozen=True)
class BusWiring:
    """What a service plugs into the runtime: its name, its queues, its handlers.

    ``more_queues`` are read by consumers of their own with the same handlers (the county
    side's child-welfare queue). ``message_handlers`` (one per kind) and ``commands`` (one
    per command type) get what they name of ``dependencies`` injected, and besides
    ``settings``, ``engine`` and ``transactions`` (``silta_platform.handlers``).
    """

    name: str
    queue: ConsumerQueue
    message_handlers: Mapping[str, Callable[..., Awaitable[Any]]] = field(default_factory=dict)
    unhandled_rule: str = "kind.not_handled"
    """The parking reason of a kind with no handler here."""
    commands: Mapping[type[Command[Any]], Callable[..., Awaitable[Any]]] = field(
        default_factory=dict
    )
    dependencies: Mapping[str, object] = field(default_factory=dict)
    more_queues: tuple[ConsumerQueue, ...] = ()
    maintenance: Callable[[AsyncEngine], Awaitable[None]] | None = None
    """Run every ``maintenance_interval_seconds`` (retention: ``silta_protection.retention``)."""
    record_accesses: AccessRecorder | None = None
    """How this service's units of work append to its access log."""
    message_log: MessageLog | None = None
    """Where the relay and the consumers record each message sent and accepted (evidence:
    ``silta_protection.evidence``)."""
    outbox_seal: BodySeal | None = None
    """How the outbox keeps message bodies sealed at rest (the relay opens them)."""
    companions: tuple[CompanionFactory, ...] = ()
    """Tasks started with the relay and woken after its commits (``Companion``)."""


class Runtime:
    def __init__(
        self,
        settings: ServiceSettings,
        engine: AsyncEngine,
        tables: MessagingTables,
        wiring: BusWiring,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.long_reads = long_read_engine(engine)
        """For reads that may take long (statistics, the metrics' counts, the list views,
        the evidence export): off the event loop on SQLite
        (``silta_platform.db.long_read_engine``)."""
        verifier = verifier_from(settings)  # fails fast when signing is not configured
        unsealer = unsealer_from(settings)  # ... or encryption
        self.broker = Broker(
            settings.amqp_url,
            name=wiring.name,
            ssl_context=broker_tls_context(settings),
            declare_exchanges=settings.amqp_declare_exchanges,
        )
        self.relay = OutboxRelay(
            engine,
            tables,
            self.broker,
            batch_size=settings.relay_batch_size,
            idle_poll_seconds=settings.relay_poll_seconds,
            signer=signer_from(settings),
            message_log=wiring.message_log,
            seal=wiring.outbox_seal,
            sealer=sealer_from(settings),
        )
        self.companions = [make(settings, engine) for make in wiring.companions]
        self.transactions = Transactions(
            engine,
            tables.outbox,
            wiring.record_accesses or _no_access_log,
            self._committed,
            seal=wiring.outbox_seal,
        )
        """Units of work on this service's database; they wake the relay after commits."""
        dependencies = {
            **wiring.dependencies,
            "settings": settings,
            "engine": engine,
            "transactions": self.transactions,
        }
        self.commands = CommandBus(wiring.commands, dependencies)
        """What the HTTP entry points hand their commands to."""
        handler = message_handlers(
            self.transactions,
            {kind: inject(h, dependencies) for kind, h in wiring.message_handlers.items()},
            unhandled_rule=wiring.unhandled_rule,
        )
        self.consumers = [
            BatchConsumer(
                broker=self.broker,
                engine=engine,
                inbox=tables.inbox,
                queue=queue,
                handler=handler,
                after_commit=self._consumed,
                prefetch=settings.consumer_prefetch,
                batch_max=settings.consumer_batch_size,
                linger_seconds=settings.consumer_linger_ms / 1000,
                verifier=verifier,
                message_log=wiring.message_log,
                unsealer=unsealer,
            )
            for queue in (wiring.queue, *wiring.more_queues)
        ]
        self._relay_task: asyncio.Task[None] | None = None
        self._companion_tasks: list[asyncio.Task[None]] = []
        self._maintenance = wiring.maintenance
        self._maintenance_task: asyncio.Task[None] | None = None

    def _committed(self) -> None:
        """After a commit that announced or consumed messages: the relay and companions."""
        self.relay.wake()
        for companion in self.companions:
            companion.wake()

    def _consumed(self) -> None:
        """After a consumer's batch committed: the companions (it recorded events), and the
        relay only if the batch announced messages. Kela's side mostly consumes
        acknowledgements that send nothing; waking the relay for them cost an empty read
        transaction per acknowledgement on the one SQLite connection."""
        if self.transactions.take_announced():
            self.relay.wake()
        for companion in self.companions:
            companion.wake()

    def companion(self, kind: type[C]) -> C:
        """This runtime's companion of type ``kind`` (a route's way to the change feed)."""
        found = next((c for c in self.companions if isinstance(c, kind)), None)
        if found is None:
            raise LookupError(f"this service runs no {kind.__name__}")
        return found

    async def start(self) -> None:
        await self.broker.start()
        self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        self._companion_tasks = [
            asyncio.create_task(companion.run(), name=type(companion).__name__)
            for companion in self.companions
        ]
        for consumer in self.consumers:
            await consumer.start()
        if self._maintenance is not None:
            self._maintenance_task = asyncio.create_task(self._maintain(), name="maintenance")

    async def maintain_once(self) -> None:
        """One maintenance pass now (what the periodic task runs); nothing without one."""
        if self._maintenance is not None:
            await self._maintenance(self.engine)

    async def _maintain(self) -> None:
        outage = Outage(log, "maintenance")
        while True:
            try:
                await self.maintain_once()
            except Exception as error:
                if database_unavailable(error):
                    outage.failed(error)
                else:
                    log.exception("maintenance pass failed; trying again next time")
            else:
                outage.recovered()
            await asyncio.sleep(self.settings.maintenance_interval_seconds)

    @property
    def consuming(self) -> bool:
        """Every queue of this service has a live consumer."""
        return all(consumer.subscribed for consumer in self.consumers)

    async def stop(self) -> None:
        """Stop consuming, then publishing, then close; each step bounded, so that a broker
        or database that no longer answers cannot keep the process from ending."""
        for consumer in self.consumers:
            await _bounded("stopping a consumer", consumer.stop())
        for companion in self.companions:
            companion.stop()
        for task in (self._maintenance_task, *self._companion_tasks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await _bounded("stopping maintenance", task)
        if self._relay_task is not None:
            self.relay.stop()  # the pass under way finishes, then the lease is released
            await asyncio.wait({self._relay_task}, timeout=RELAY_FINISH_SECONDS)
            self._relay_task.cancel()  # if it is still stuck (no effect once it returned)
            with contextlib.suppress(asyncio.CancelledError):
                await _bounded("stopping the relay", self._relay_task)
        await _bounded("closing the broker connection", self.broker.close())
        await _bounded("closing the database pool", self.engine.dispose())
        if self.long_reads is not self.engine:
            await _bounded("closing the long reads' pool", self.long_reads.dispose())

    async def database_ready(self) -> bool:
        try:
            await asyncio.wait_for(self._select_one(), 5)
        except Exception:
            return False
        return True

    async def _select_one(self) -> None:
        # Waiting for a connection counts against the time limit too: on SQLite the one
        # connection may be busy with a batch.
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


async def _no_access_log(_conn: AsyncConnection, accesses: Sequence[Any]) -> None:
    if accesses:
        raise RuntimeError("this runtime was built without an access log to record to")


STOP_STEP_SECONDS = 10.0
RELAY_FINISH_SECONDS = 5.0
"""How long a stopping relay may take to mark what it published before it is cancelled."""


async def _bounded(what: str, step: Awaitable[object]) -> None:
    try:
        await asyncio.wait_for(step, STOP_STEP_SECONDS)
    except TimeoutError:
        log.warning("%s took over %.0f s; going on without it", what, STOP_STEP_SECONDS)
