from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from silta_platform.auth import KELA_AUDIENCE
from silta_platform.settings import ServiceSettings


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
