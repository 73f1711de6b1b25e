"""Kela side tables for the client's cooperation records: case-manager periods and
cooperation cases, each the newest snapshot Kela sent to the client's county."""

from __future__ import annotations

from silta_records.cooperation.case_managers import case_manager_periods
from silta_records.cooperation.cases import cooperation_cases

from kela_side.db.tables import metadata

CASE_MANAGERS = case_manager_periods(metadata)
"""The periods Kela named, as last sent to the county (sealed, bound to the period's id)."""

COOPERATION_CASES = cooperation_cases(metadata)
"""Cooperation cases with their follow-up dates (sealed, bound to the case's id)."""
