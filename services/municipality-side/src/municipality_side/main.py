"""The municipality side's application: API, consumer of referrals, outbox relay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from fastapi import FastAPI
from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_messaging.topology import (
    KELA_EXCHANGE,
    ConsumerQueue,
    child_welfare_bindings,
    county_bindings,
)
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
from silta_schemas.envelope import ALL_COUNTIES
from silta_schemas.parties import county_organisation

from municipality_side.api import referrals
from municipality_side.api import statements as statements_api
from municipality_side.api import workers as workers_api
from municipality_side.db import tables
from municipality_side.db.tables import access_log, messaging, status_history
from municipality_side.db.tables import referrals as referrals_table
from municipality_side.protect import RETENTION
from municipality_side.service import (
    REFERRAL_KINDS,
    cancellation_receiver,
    referral_receiver,
)
from municipality_side.settings import MunicipalitySettings
from municipality_side.statements import receipt_receiver


def _on_connection(handler: BatchHandler) -> MessageHandler:
    async def handle(work: UnitOfWork, messages: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        return await handler(work.conn, messages)

    return handle


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    config = settings if isinstance(settings, MunicipalitySettings) else MunicipalitySettings()
    counties = config.served_counties
    own_part = frozenset(county_organisation(code) for code in counties)
    receive_directory = directory_receiver(
        tables.directory_entries, recipient=ALL_COUNTIES, own=own_part
    )
    receive_referrals = referral_receiver(config)
    receive_cancellations = cancellation_receiver(config)

    def runtime() -> Runtime:
        wiring = BusWiring(
            name="silta-municipality-side",
            queue=ConsumerQueue(
                name=config.queue_name,
                exchange=KELA_EXCHANGE,
                binding_keys=county_bindings(counties),
                delivery_limit=config.delivery_limit,
            ),
            more_queues=(
                ConsumerQueue(
                    name=config.child_welfare_queue_name,
                    exchange=KELA_EXCHANGE,
                    binding_keys=child_welfare_bindings(counties),
                    delivery_limit=config.delivery_limit,
                ),
            ),
            message_handlers={
                **{kind: _on_connection(receive_referrals) for kind in REFERRAL_KINDS},
                MessageKind.CANCELLATION: _on_connection(receive_cancellations),
                MessageKind.DIRECTORY_UPDATE: receive_directory,
                MessageKind.STATEMENT_RECEIPT: _on_connection(receipt_receiver(counties)),
            },
            unhandled_rule="kind.not_for_county",
            record_accesses=lambda conn, accesses: record_access(conn, access_log, accesses),
            maintenance=lambda engine: maintain(engine, config, RETENTION),
        )
        return Runtime(config, create_engine(config.database_url), messaging, wiring)

    return create_app(
        title="Silta: municipality side",
        description=(
            "The wellbeing services counties' client information systems receive Kela's "
            "referrals here, track them and answer with status acknowledgements."
        ),
        runtime_factory=runtime,
        side=Side.MUNICIPALITY,
        routers=[
            referrals.router,
            workers_api.router,
            statements_api.router,
            directory_router(tables.directory_entries, editable=own_part),
            stats_router(referrals_table, status_history, "received_at", counties=counties),
            access_log_router(access_log),
            dead_letters_router([config.queue_name, config.child_welfare_queue_name]),
            metrics_router(messaging, [config.queue_name, config.child_welfare_queue_name]),
        ],
    )
