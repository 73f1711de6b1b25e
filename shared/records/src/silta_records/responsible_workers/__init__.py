"""A referral's responsible workers (vastuutyöntekijä), kept in the same shape on both sides.

Every naming is kept: who was named when, and whether it was the first (`named`) or a later
one (`changed`). The current responsible worker is the one named last (`named_at`), so a
change that arrives before an older one still leaves the right worker current. Work contact
data only, never client data. ``naming`` is the pure value, ``table`` the table, the SQL and
the views.
"""

from silta_records.responsible_workers.naming import Naming
from silta_records.responsible_workers.table import (
    WORKERS,
    NamingView,
    ResponsibleWorkerView,
    add_namings,
    add_responsible_workers,
    load_namings,
    naming_view,
)

__all__ = [
    "WORKERS",
    "Naming",
    "NamingView",
    "ResponsibleWorkerView",
    "add_namings",
    "add_responsible_workers",
    "load_namings",
    "naming_view",
]
