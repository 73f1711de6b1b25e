"""The municipality side's application: API, consumer of referrals, outbox relay."""

from __future__ import annotations

from fastapi import FastAPI
from silta_messaging.consumer import dispatch
from silta_messaging.topology import KELA_EXCHANGE, ConsumerQueue
from silta_service.app import create_app
from silta_service.db import create_engine
from silta_service.runtime import BusWiring, Runtime
from silta_service.settings import ServiceSettings
from silta_service.stats import stats_router

from municipality_side.api import referrals
from municipality_side.db.tables import messaging, status_history
from municipality_side.db.tables import referrals as referrals_table
from municipality_side.service import REFERRAL_KINDS, referral_receiver
from municipality_side.settings import MunicipalitySettings

RELAY_LOCK_KEY = 0x5117A_02


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    config = settings if isinstance(settings, MunicipalitySettings) else MunicipalitySettings()
    counties = config.served_counties
    receive_referrals = referral_receiver(counties)

    def runtime() -> Runtime:
        wiring = BusWiring(
            name="silta-municipality-side",
            queue=ConsumerQueue(
                name=config.queue_name,
                exchange=KELA_EXCHANGE,
                binding_keys=tuple(f"*.{code}" for code in sorted(counties)),
                delivery_limit=config.delivery_limit,
            ),
            handler=dispatch(
                {kind: receive_referrals for kind in REFERRAL_KINDS},
                unhandled_rule="kind.not_for_county",
            ),
            relay_lock_key=RELAY_LOCK_KEY,
        )
        return Runtime(config, create_engine(config.database_url), messaging, wiring)

    return create_app(
        title="Silta: municipality side",
        description=(
            "The wellbeing services counties' client information systems receive Kela's "
            "referrals here, track them and answer with status acknowledgements."
        ),
        runtime_factory=runtime,
        routers=[
            referrals.router,
            stats_router(referrals_table, status_history, "received_at", counties=counties),
        ],
    )
