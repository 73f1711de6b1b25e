"""Municipality side tables for the client's cooperation records Kela sends: case-manager
periods and cooperation cases, each the newest snapshot received."""

from __future__ import annotations

from silta_records.cooperation.case_managers import add_case_manager_periods, case_manager_kind
from silta_records.cooperation.cases import add_cooperation_cases, cooperation_case_kind

from municipality_side.db.tables import metadata

case_manager_periods = add_case_manager_periods(metadata)
CASE_MANAGERS = case_manager_kind(case_manager_periods)
"""The periods Kela named for the counties' clients, as last received (sealed)."""

cooperation_cases = add_cooperation_cases(metadata)
COOPERATION_CASES = cooperation_case_kind(cooperation_cases)
"""Cooperation cases with their follow-up dates (sealed, bound to the case's id)."""
