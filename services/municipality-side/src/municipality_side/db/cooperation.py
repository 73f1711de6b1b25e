"""Municipality side tables for the client's cooperation records Kela sends: case-manager
periods and cooperation cases, each the newest snapshot received."""

from __future__ import annotations

from silta_records.cooperation.case_managers import case_manager_periods
from silta_records.cooperation.cases import cooperation_cases

from municipality_side.db.tables import metadata

CASE_MANAGERS = case_manager_periods(metadata)
"""The periods Kela named for the counties' clients, as last received (sealed)."""

COOPERATION_CASES = cooperation_cases(metadata)
"""Cooperation cases with their follow-up dates (sealed, bound to the case's id)."""
