"""Consultations between Kela and a county, the same on both sides: ``table`` defines the
table, ``store`` holds the SQL and what a row reads as, ``service`` asks, answers and takes
the other side's messages, ``api`` the routes."""

from silta_records.consultations.api import consultations_router
from silta_records.consultations.service import consultation_receivers
from silta_records.consultations.store import ConsultationRecord, open_consultations
from silta_records.consultations.table import add_consultations, sealed_columns

__all__ = [
    "ConsultationRecord",
    "add_consultations",
    "consultation_receivers",
    "consultations_router",
    "open_consultations",
    "sealed_columns",
]
