"""The municipality side's application: API, consumer of referrals, outbox relay."""

from __future__ import annotations

from fastapi import FastAPI
from silta_messaging.consumer import dispatch
from silta_messaging.topology import CHILD_WELFARE, KELA_EXCHANGE, ConsumerQueue
from silta_platform.app import create_app
from silta_platform.authorisation import Side
from silta_platform.db import create_engine
from silta_platform.dead_letters import dead_letters_router
from silta_platform.metrics import metrics_router
from silta_platform.runtime import BusWiring, Runtime
from silta_platform.settings import ServiceSettings
from silta_protection.access_log import access_log_router, logging_accesses
from silta_protection.retention import maintain
from silta_records.directory import KELA_DIRECTORY_KEY, directory_receiver, directory_router
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
                binding_keys=(
                    # every kind to a county served, Kela's statement receipts included
                    *(f"*.{code}" for code in sorted(counties)),
                    KELA_DIRECTORY_KEY,  # Kela's part of the contact directory
                ),
                delivery_limit=config.delivery_limit,
            ),
            more_queues=(
                ConsumerQueue(
                    name=config.child_welfare_queue_name,
                    exchange=KELA_EXCHANGE,
                    # child-welfare notices, and the cancellations that follow them
                    binding_keys=tuple(f"*.{code}.{CHILD_WELFARE}" for code in sorted(counties)),
                    delivery_limit=config.delivery_limit,
                ),
            ),
            handler=logging_accesses(
                access_log,
                dispatch(
                    {
                        **{kind: receive_referrals for kind in REFERRAL_KINDS},
                        MessageKind.CANCELLATION: receive_cancellations,
                        MessageKind.DIRECTORY_UPDATE: receive_directory,
                        MessageKind.STATEMENT_RECEIPT: receipt_receiver(counties),
                    },
                    unhandled_rule="kind.not_for_county",
                ),
            ),
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
            directory_router(tables.directory_entries, messaging.outbox, editable=own_part),
            stats_router(referrals_table, status_history, "received_at", counties=counties),
            access_log_router(access_log),
            dead_letters_router([config.queue_name, config.child_welfare_queue_name]),
            metrics_router(messaging, [config.queue_name, config.child_welfare_queue_name]),
        ],
    )
