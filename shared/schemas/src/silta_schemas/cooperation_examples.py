"""Example bodies of the cooperation kinds (case managers, cooperation cases, decision
notices, consultations), as plain data; like `examples`, of which this is the continuation
(kept apart so that kinds added in parallel do not edit one file). `examples/*.json` at the
repository top are copies checked by the tests."""

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

DEFAULT_DECISION_NOTICE_BASIS: Final = (
    "Act on Social Assistance 1412/1997 §18 and §14a: data necessary for deciding basic "
    "assistance (section numbers to confirm against Finlex)"
)
"""The legal basis a county's side states by default for a decision notice (configuration:
``MUNICIPALITY_SIDE_DECISION_NOTICE_LEGAL_BASIS``; Kela's side accepts those in
``KELA_SIDE_DECISION_NOTICE_LEGAL_BASES``)."""

DECISION_NOTICE_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "county_code": "11",
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE},
    "decision_type": "supplementary_assistance",
    "decided_on": "2026-03-10",
    "outcome": "granted",
}
"""The body of `POST /v1/decision-notices` on the municipality side."""

DECISION_NOTICE_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "decision_notice",
    "notice_id": "5b7d9f1a-2c4e-4a6b-8d0f-1a3c5e7b9d2f",
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE},
    "decision_type": "supplementary_assistance",
    "decided_on": "2026-03-10",
    "outcome": "granted",
    "legal_basis": DEFAULT_DECISION_NOTICE_BASIS,
}
"""A decision notice on the bus, county → Kela."""

DECISION_NOTICE_RECEIPT_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "decision_notice_receipt",
    "notice_id": DECISION_NOTICE_EXAMPLE["notice_id"],
    "received_at": "2026-03-10T12:00:02+02:00",
}
"""Kela's receipt of a decision notice, Kela → the sending county."""

DECISION_NOTICE_SEARCH_EXAMPLE: Final[dict[str, Any]] = {"identity_code": EXAMPLE_IDENTITY_CODE}
"""The body of `POST /v1/decision-notices/search` on Kela's side."""

COUNTY_WORKER: Final[dict[str, Any]] = STATEMENT_EXAMPLE["author"]

_CONSULTATION_CONSENT: Final[dict[str, Any]] = {
    "given_at": "2026-03-04T09:30:00+02:00",
    "method": "phone",
    "recorded_by": "Maija Meikäläinen",
}

CONSULTATION_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "county_code": "11",
    "purposes": ["situation_assessment", "contact_person"],
    "question": (
        "The client says they are moving to supported housing next month. Is a move planned "
        "with social work, and who should we contact about the housing costs?"
    ),
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE, "consent": _CONSULTATION_CONSENT},
    "asker": {
        "name": "Maija Meikäläinen",
        "title": "etuuskäsittelijä (benefit officer)",
        "unit": "Kela, perustoimeentulotuki, Kaakkois-Suomi",
        "phone": "+358 20 634 0000",
        "email": None,
    },
}
"""The body of `POST /v1/consultations` (Kela's side asking county 11)."""

CONSULTATION_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "consultation_request",
    "consultation_id": "8e2a4c6f-1b3d-4e5f-9a7b-2c4d6e8f0a1b",
    "asked_at": "2026-03-04T10:00:00+02:00",
    "due_at": "2026-03-11T23:59:59.999999+02:00",
    **{key: value for key, value in CONSULTATION_REQUEST_EXAMPLE.items() if key != "county_code"},
}
"""A consultation request on the bus, Kela → county 11."""

CONSULTATION_ANSWER_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "outcome": "answered",
    "decline_reason": None,
    "assessment": (
        "The move is planned with us for 1 April; the rent will be lower than now. A statement "
        "on the decision period follows."
    ),
    "client_of_services": None,
    "contact": COUNTY_WORKER,
    "application_pending": None,
    "answerer": COUNTY_WORKER,
}
"""The body of `POST /v1/consultations/{id}/answer` (county 11 answering Kela)."""

CONSULTATION_ANSWER_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "consultation_answer",
    "consultation_id": CONSULTATION_EXAMPLE["consultation_id"],
    "answered_at": "2026-03-05T13:00:00+02:00",
    "purposes": CONSULTATION_EXAMPLE["purposes"],
    **CONSULTATION_ANSWER_REQUEST_EXAMPLE,
}
"""The answer on the bus, county 11 → Kela."""

CONSULTATION_SEARCH_EXAMPLE: Final[dict[str, Any]] = {"identity_code": EXAMPLE_IDENTITY_CODE}
"""The body of `POST /v1/consultations/search`."""
