from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from silta_platform.auth import MUNICIPALITY_AUDIENCE
from silta_platform.settings import ServiceSettings
from silta_schemas.routing import COUNTY_CODES


class MunicipalitySettings(ServiceSettings):
    """Environment variables prefixed ``MUNICIPALITY_SIDE_``."""

    model_config = SettingsConfigDict(env_prefix="MUNICIPALITY_SIDE_")

    database_url: str = "sqlite+aiosqlite:///var/municipality-side.db"
    port: int = 8002
    auth_audience: str = MUNICIPALITY_AUDIENCE
    counties: str = Field(
        "", description="Comma-separated county codes this deployment serves; empty: all."
    )
    queue_name: str = Field(
        "silta.municipality-side.inbox", description="This deployment's inbound queue."
    )
    child_welfare_queue_name: str = Field(
        "silta.municipality-side.child-welfare",
        description="The inbound queue of child-welfare notices (Child Welfare Act §25), "
        "kept apart from the general one.",
    )

    @property
    def served_counties(self) -> frozenset[str]:
        chosen = {code.strip() for code in self.counties.split(",") if code.strip()}
        unknown = chosen - COUNTY_CODES
        if unknown:
            raise ValueError(
                f"unknown county codes in MUNICIPALITY_SIDE_COUNTIES: {sorted(unknown)}"
            )
        return frozenset(chosen) or COUNTY_CODES
