"""The Kela side's application: API, outbox relay and the consumer of acknowledgements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from fastapi import FastAPI
from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_messaging.topology import COUNTY_EXCHANGE, KELA_BINDINGS, ConsumerQueue
from silta_platform.app import create_app
from silta_platform.authorisation import Side
from silta_platform.db import create_engine
from silta_platform.dead_letters import dead_letters_router
from silta_platform.metrics import metrics_router
from silta_platform.runtime import BusWiring, Runtime
from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import MessageHandler, UnitOfWork
from silta_protection.access_log import access_log_router, record_access
from silta_protection.retention import maintain
from silta_records.directory import directory_receiver, directory_router
from silta_records.stats import stats_router
from silta_schemas.codes import MessageKind
from silta_schemas.parties import KELA

from kela_side.api import referrals
from kela_side.api import statements as statements_api
from kela_side.db import tables
from kela_side.db.tables import access_log, messaging, status_history
from kela_side.db.tables import referrals as referrals_table
from kela_side.protect import RETENTION
from kela_side.service import acknowledgement_handler
from kela_side.settings import KelaSettings
from kela_side.statements import statement_receiver
from kela_side.workers import receive_responsible_workers

KELA_PART = frozenset({KELA})
"""The part of the contact directory this side maintains."""


def _on_connection(handler: BatchHandler) -> MessageHandler:
    async def handle(work: UnitOfWork, messages: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        return await handler(work.conn, messages)

    return handle


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    config = settings if isinstance(settings, KelaSettings) else KelaSettings()

    def runtime() -> Runtime:
        wiring = BusWiring(
            name="silta-kela-side",
            queue=ConsumerQueue(
                name=config.queue_name,
                exchange=COUNTY_EXCHANGE,
                binding_keys=KELA_BINDINGS,
                delivery_limit=config.delivery_limit,
            ),
            message_handlers={
                MessageKind.STATUS_ACKNOWLEDGEMENT: _on_connection(acknowledgement_handler(config)),
                MessageKind.DIRECTORY_UPDATE: directory_receiver(
                    tables.directory_entries, recipient=KELA, own=KELA_PART
                ),
                MessageKind.STATEMENT: _on_connection(statement_receiver(config)),
                MessageKind.RESPONSIBLE_WORKER: _on_connection(receive_responsible_workers),
            },
            unhandled_rule="kind.not_for_kela",
            record_accesses=lambda conn, accesses: record_access(conn, access_log, accesses),
            maintenance=lambda engine: maintain(engine, config, RETENTION),
        )
        return Runtime(config, create_engine(config.database_url), messaging, wiring)

    return create_app(
        title="Silta: Kela side",
        description=(
            "Kela's case systems send notices of need for social work, notices of basic "
            "amount reduction and transferred applications to the client's wellbeing services "
            "county, cancel what was sent in error, and follow each referral's status (and "
            "where it was forwarded) as the county acknowledges it."
        ),
        runtime_factory=runtime,
        side=Side.KELA,
        routers=[
            referrals.router,
            statements_api.router,
            directory_router(tables.directory_entries, editable=KELA_PART),
            stats_router(referrals_table, status_history, "created_at"),
            access_log_router(access_log),
            dead_letters_router([config.queue_name]),
            metrics_router(messaging, [config.queue_name]),
        ],
    )
