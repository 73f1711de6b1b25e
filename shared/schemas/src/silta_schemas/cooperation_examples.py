"""Example bodies of the decision notices and consultations, as plain data (kept beside
`examples`, whose conventions they follow: `examples/*.json` are copies the tests check)."""

from typing import Any, Final

from silta_schemas.examples import EXAMPLE_IDENTITY_CODE, STATEMENT_EXAMPLE

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

_CONSENT: Final[dict[str, Any]] = {
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
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE, "consent": _CONSENT},
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
