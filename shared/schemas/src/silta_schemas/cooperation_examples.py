"""Example bodies of the cooperation kinds (case managers, cooperation cases), as plain data;
like `examples`, of which this is the continuation (kept apart so that kinds added in
parallel do not edit one file). `examples/*.json` at the repository top are copies checked
by the tests."""

from typing import Any, Final

from silta_schemas.examples import EXAMPLE_IDENTITY_CODE, STATEMENT_EXAMPLE

KELA_CASE_MANAGER: Final[dict[str, Any]] = {
    "name": "Kaisa Kelalainen",
    "title": "palveluasiantuntija, asiakkuusvastaava (case manager)",
    "unit": "Kela, asiakkuusvastaavapalvelu, Kaakkois-Suomi",
    "phone": "+358 20 634 1234",
    "email": "asiakkuusvastaava@example.fi",
}

_CONSENT: Final[dict[str, Any]] = {"given_at": "2026-03-05T10:15:00+02:00", "method": "in_person"}

CASE_MANAGER_PERIOD_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE, "municipality_code": "405"},
    "consent": _CONSENT,
    "case_manager": KELA_CASE_MANAGER,
    "directory_entry_id": None,
    "starts_on": "2027-01-04",
    "ends_on": "2027-06-30",
}
"""The body of `POST /v1/case-manager-periods` on Kela's side."""

CASE_MANAGER_CHANGE_EXAMPLE: Final[dict[str, Any]] = {
    "case_manager": None,
    "directory_entry_id": None,
    "ends_on": "2027-12-31",
}
"""The body of `POST /v1/case-manager-periods/{id}/change` on Kela's side: a new end date."""

CASE_MANAGER_END_EXAMPLE: Final[dict[str, Any]] = {"ended_on": "2027-04-30"}
"""The body of `POST /v1/case-manager-periods/{id}/end` on Kela's side."""

CASE_MANAGER_PERIOD_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "case_manager_period",
    "period_id": "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c",
    "action": "named",
    "recorded_at": "2026-03-05T10:20:00+02:00",
    "county_code": "11",
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE},
    "consent": _CONSENT,
    "case_manager": KELA_CASE_MANAGER,
    "directory_entry_id": None,
    "starts_on": "2026-03-09",
    "ends_on": "2026-09-30",
    "ended_on": None,
}
"""A case manager named for a client, on the bus, Kela → the client's county."""

COOPERATION_CASE_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE, "municipality_code": "405"},
    "follow_up_on": "2027-03-01",
    "links": [{"type": "consultation", "id": "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"}],
}
"""The body of `POST /v1/cooperation-cases` on Kela's side: a consultation's id (opaque); a
referral, statement or case-manager period linked must be one Kela holds of the client."""

COOPERATION_CASE_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "cooperation_case",
    "case_id": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
    "action": "opened",
    "recorded_at": "2026-03-05T10:30:00+02:00",
    "county_code": "11",
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE},
    "opened_on": "2026-03-05",
    "follow_up_on": "2026-06-01",
    "links": [
        {"type": "statement", "id": STATEMENT_EXAMPLE["statement_id"]},
        {"type": "case_manager_period", "id": CASE_MANAGER_PERIOD_EXAMPLE["period_id"]},
        *COOPERATION_CASE_REQUEST_EXAMPLE["links"],
    ],
    "closed_on": None,
}
"""A cooperation case opened, on the bus, Kela → the client's county."""
