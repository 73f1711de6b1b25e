"""A county's side, wired: settings, engine, broker (its two queues and their bindings),
outbox relay, the two handler tables with their dependencies, and the HTTP API."""

from __future__ import annotations

from fastapi import FastAPI
from silta_messaging.topology import (
    KELA_EXCHANGE,
    ConsumerQueue,
    child_welfare_bindings,
    county_bindings,
)
from silta_platform.app import create_app
from silta_platform.authorisation import Side
from silta_platform.db import create_engine
from silta_platform.metrics import ServiceMetrics
from silta_platform.runtime import BusWiring, Runtime
from silta_platform.settings import ServiceSettings
from silta_protection.dead_letters import dead_letters_router
from silta_protection.wiring import safeguard_routers, safeguards
from silta_records.consultations import consultations_router
from silta_records.cooperation.case_managers import case_manager_reads
from silta_records.cooperation.cases import cooperation_case_reads
from silta_records.cooperation.reads import read_router
from silta_records.deadlines import overdue_by_county
from silta_records.directory import directory_router
from silta_records.events import change_feed, events_router
from silta_records.stats import stats_router

from municipality_side.api import decision_notices, referrals, statements, workers, worklists
from municipality_side.api.scope import visible
from municipality_side.db.cooperation import CASE_MANAGERS, COOPERATION_CASES
from municipality_side.db.tables import (
    consultations,
    directory_entries,
    events,
    messaging,
    status_history,
)
from municipality_side.db.tables import referrals as referrals_table
from municipality_side.handlers import COMMANDS, MESSAGE_HANDLERS
from municipality_side.handlers.directory_updates import own_part
from municipality_side.protect import RETENTION, organisation
from municipality_side.purposes import COOPERATION_PURPOSE, MUNICIPALITY_SERVICE
from municipality_side.settings import MunicipalitySettings


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    config = settings if isinstance(settings, MunicipalitySettings) else MunicipalitySettings()
    counties = config.served_counties
    queues = [config.queue_name, config.child_welfare_queue_name]

    def runtime() -> Runtime:
        wiring = BusWiring(
            name=MUNICIPALITY_SERVICE,
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
            message_handlers=MESSAGE_HANDLERS,
            unhandled_rule="kind.not_for_county",
            commands=COMMANDS,
            companions=(change_feed(events),),
            **safeguards(config, RETENTION),
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
            workers.router,
            worklists.router,
            statements.router,
            read_router(case_manager_reads(CASE_MANAGERS, COOPERATION_PURPOSE), counties=counties),
            read_router(
                cooperation_case_reads(COOPERATION_CASES, COOPERATION_PURPOSE), counties=counties
            ),
            decision_notices.router,
            consultations_router(consultations, kela=False, scope=visible),
            directory_router(directory_entries, editable=own_part(config)),
            stats_router(referrals_table, status_history, "received_at", counties=counties),
            *safeguard_routers(RETENTION, organisation(config), counties),
            events_router(events, counties=counties),
            dead_letters_router(queues),
        ],
        metrics=ServiceMetrics(messaging, queues, overdue_by_county(referrals_table)),
    )
