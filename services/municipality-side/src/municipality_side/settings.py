from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from silta_platform.auth import MUNICIPALITY_AUDIENCE
from silta_platform.settings import ServiceSettings
from silta_schemas.cooperation_examples import DEFAULT_DECISION_NOTICE_BASIS
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
    decision_notice_legal_basis: str = Field(
        DEFAULT_DECISION_NOTICE_BASIS,
        min_length=1,
        max_length=200,
        description="The legal basis a decision notice states (its payload and envelope): the "
        "provision under which the county discloses to Kela that a decision was made. Default: "
        "Act on Social Assistance 1412/1997 §18 and §14a (to confirm against Finlex); Kela's "
        "side must accept it (KELA_SIDE_DECISION_NOTICE_LEGAL_BASES).",
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
