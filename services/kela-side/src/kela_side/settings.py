from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from silta_platform.auth import KELA_AUDIENCE
from silta_platform.settings import ServiceSettings
from silta_schemas.cooperation_examples import DEFAULT_DECISION_NOTICE_BASIS

BATCH_PATH = "/v1/referrals/batch"
"""The route that takes a night's batch of referrals (``kela_side.api.batches``)."""


class KelaSettings(ServiceSettings):
    """Environment variables prefixed ``KELA_SIDE_``."""

    model_config = SettingsConfigDict(env_prefix="KELA_SIDE_")

    database_url: str = "sqlite+aiosqlite:///var/kela-side.db"
    port: int = 8001
    auth_audience: str = KELA_AUDIENCE
    queue_name: str = Field("silta.kela-side.inbox", description="Kela's inbound queue.")
    cooperation_recent_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="The officer's view of a client's cooperation shows closed referrals "
        "changed within this many days (open ones always).",
    )
    batch_max_items: int = Field(
        10_000,
        ge=1,
        description="Most referrals taken in one `POST /v1/referrals/batch`; more are refused "
        "with 422 (`batch.too_many_items`) before any is stored.",
    )
    batch_max_body_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1,
        description="Largest body `POST /v1/referrals/batch` takes (413 above it); "
        "`MAX_BODY_BYTES` stays the limit of every other route.",
    )

    def body_limits(self) -> dict[str, int]:
        return {BATCH_PATH: self.batch_max_body_bytes}

    decision_notice_legal_bases: list[str] = Field(
        default_factory=lambda: [DEFAULT_DECISION_NOTICE_BASIS],
        description="The legal bases (JSON list of texts) under which Kela's side takes the "
        "counties' decision notices; one under another basis is parked "
        "(decision_notice.legal_basis_not_accepted). Default: Act on Social Assistance "
        "1412/1997 §18 and §14a (to confirm against Finlex).",
    )
