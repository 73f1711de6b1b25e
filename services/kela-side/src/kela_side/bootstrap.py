"""Kela's side, wired: settings, engine, broker (its queue and bindings), outbox relay, the
two handler tables with their dependencies, and the HTTP API."""

from __future__ import annotations

from fastapi import FastAPI
from silta_messaging.topology import COUNTY_EXCHANGE, KELA_BINDINGS, ConsumerQueue
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

from kela_side.api import (
    batches,
    case_managers,
    clients,
    cooperation_cases,
    decision_notices,
    referrals,
    statements,
)
from kela_side.db.cooperation import CASE_MANAGERS, COOPERATION_CASES
from kela_side.db.tables import (
    consultations,
    directory_entries,
    events,
    messaging,
    status_history,
)
from kela_side.db.tables import referrals as referrals_table
from kela_side.handlers import COMMANDS, MESSAGE_HANDLERS
from kela_side.handlers.directory_updates import KELA_PART
from kela_side.handlers.submit_referral import ReferralWriter
from kela_side.protect import RETENTION
from kela_side.purposes import CASE_MANAGER_PURPOSE, COOPERATION_PURPOSE, KELA_SERVICE
from kela_side.settings import KelaSettings


async def every_county() -> None:
    """Kela's users see every county's consultations."""
    return None


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    config = settings if isinstance(settings, KelaSettings) else KelaSettings()

    def runtime() -> Runtime:
        wiring = BusWiring(
            name=KELA_SERVICE,
            queue=ConsumerQueue(
                name=config.queue_name,
                exchange=COUNTY_EXCHANGE,
                binding_keys=KELA_BINDINGS,
                delivery_limit=config.delivery_limit,
            ),
            message_handlers=MESSAGE_HANDLERS,
            unhandled_rule="kind.not_for_kela",
            commands=COMMANDS,
            dependencies={"referral_writer": ReferralWriter()},
            companions=(change_feed(events),),
            **safeguards(config, RETENTION),
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
            batches.router,
            statements.router,
            clients.router,
            case_managers.router,
            read_router(case_manager_reads(CASE_MANAGERS, CASE_MANAGER_PURPOSE), counties=None),
            cooperation_cases.router,
            read_router(
                cooperation_case_reads(COOPERATION_CASES, COOPERATION_PURPOSE), counties=None
            ),
            decision_notices.router,
            consultations_router(consultations, kela=True, scope=every_county),
            directory_router(directory_entries, editable=KELA_PART),
            stats_router(referrals_table, status_history, "created_at"),
            *safeguard_routers(RETENTION, "kela"),
            events_router(events),
            dead_letters_router([config.queue_name]),
        ],
        metrics=ServiceMetrics(messaging, [config.queue_name], overdue_by_county(referrals_table)),
    )
