"""Example bodies, as plain data: OpenAPI examples, docs and tests all use these.

Kept as Python (not files) because the package does no I/O; `examples/*.json` at the
repository top are copies checked by the tests. The identity code is the well-known
example 131052-308T, not a real person's.
"""

from typing import Any, Final

EXAMPLE_IDENTITY_CODE: Final = "131052-308T"

_KELA_CONTACT: Final[dict[str, Any]] = {
    "name": "Maija Meikäläinen",
    "team": "Kela, kuntayhteistyö, Kaakkois-Suomi",
    "phone": "+358 20 634 0000",
    "email": "kuntayhteistyo@example.fi",
}

NOTICE_OF_NEED_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "notice_of_need",
    "made_at": "2026-03-02T10:15:00+02:00",
    "client": {
        "identity_code": EXAMPLE_IDENTITY_CODE,
        "municipality_code": "405",
        "county_code": None,
        "address_non_disclosure": False,
        "contact": {"phone": "+358 40 000 0000", "email": None, "address": None},
    },
    "support_needs": [3, 1],
    "trigger": "refuses_primary_benefits",
    "trigger_description": None,
    "description": (
        "The client has not applied for unemployment benefit despite guidance and has "
        "rent arrears. Needs help with finances and everyday matters."
    ),
    "service_need_checklist": {"items": ["rent_arrears", "benefit_matters_difficulties"]},
    "basis": {
        "type": "consent",
        "given_at": "2026-03-02T09:50:00+02:00",
        "method": "phone",
        "recorded_by": "Maija Meikäläinen",
        "covers": ["notice_of_need", "contact_details"],
    },
    "kela_contact": _KELA_CONTACT,
    "urgency": "normal",
    "new_referral_reason": None,
    "forwarded_from": None,
}

BASIC_AMOUNT_REDUCTION_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "basic_amount_reduction",
    "made_at": "2026-03-02T08:00:00+02:00",
    "client": {
        "identity_code": EXAMPLE_IDENTITY_CODE,
        "municipality_code": "405",
        "county_code": None,
        "address_non_disclosure": False,
        "contact": None,
    },
    "reduction_percent": 20,
    "decision_date": "2026-03-02",
    "period_start": "2026-03-01",
    "period_end": "2026-04-30",
    "kela_contact": _KELA_CONTACT,
    "new_referral_reason": None,
    "forwarded_from": None,
}

APPLICATION_TRANSFER_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "application_transfer",
    "made_at": "2026-03-03T09:00:00+02:00",
    "client": {
        "identity_code": EXAMPLE_IDENTITY_CODE,
        "municipality_code": "405",
        "county_code": None,
        "address_non_disclosure": False,
        "contact": None,
    },
    "applicant_request": {"requested_at": "2026-02-26T14:20:00+02:00", "method": "electronic"},
    "application_received_on": "2026-02-26",
    "kela_decision": {"reference": "TO-2026-0412345", "decided_on": "2026-03-03"},
    "assistance_sought": ["supplementary"],
    "expense_categories": ["moving_costs", "household_equipment"],
    "expense_description": None,
    "kela_contact": _KELA_CONTACT,
    "urgency": "normal",
    "new_referral_reason": None,
    "forwarded_from": None,
}

CANCELLATION_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "reason": "Sent in error: the notice was meant for another client's case.",
}
"""The body of `POST /v1/referrals/{id}/cancel` on Kela's side."""

CANCELLATION_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "cancellation",
    "cancelled_at": "2026-03-02T11:00:00+02:00",
    "reason": "Sent in error: the notice was meant for another client's case.",
}

STATUS_UPDATE_EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "accepted": {
        "status": "accepted",
        "event": None,
        "outcome": None,
        "hold_reason": None,
        "reason": None,
        "forwarded_to_municipality": None,
        "unit": "Aikuissosiaalityö, Lappeenranta",
    },
    "in_progress": {
        "status": "in_progress",
        "event": "client_reached",
        "outcome": None,
        "hold_reason": None,
        "reason": None,
        "forwarded_to_municipality": None,
        "unit": None,
    },
    "on_hold": {
        "status": "on_hold",
        "event": None,
        "outcome": None,
        "hold_reason": "awaiting_client_documents",
        "reason": None,
        "forwarded_to_municipality": None,
        "unit": None,
    },
    "completed": {
        "status": "completed",
        "event": None,
        "outcome": "client_relationship_started",
        "hold_reason": None,
        "reason": None,
        "forwarded_to_municipality": None,
        "unit": None,
    },
    "rejected": {
        "status": "rejected",
        "event": None,
        "outcome": None,
        "hold_reason": None,
        "reason": "The client already has a referral open at this unit.",
        "forwarded_to_municipality": None,
        "unit": None,
    },
    "forwarded": {
        "status": "forwarded",
        "event": None,
        "outcome": None,
        "hold_reason": None,
        "reason": "The client moved to Helsinki before the notice was made.",
        "forwarded_to_municipality": "091",
        "unit": None,
    },
}

STATUS_ACKNOWLEDGEMENT_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "status_acknowledgement",
    "referral_id": "0b6e5f8a-3f43-4c55-9b51-6f1d2a7c9e10",
    "sequence": 3,
    "status": "in_progress",
    "event": "client_reached",
    "outcome": None,
    "hold_reason": None,
    "reason": None,
    "forwarded_to_county": None,
    "forwarded_to_municipality": None,
    "changed_at": "2026-03-04T13:30:00+02:00",
    "changed_by": "county-11",
    "changed_by_unit": "Aikuissosiaalityö, Lappeenranta",
}

DIRECTORY_ENTRY_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "organisation": "kela",
    "county_code": "11",
    "unit": "Kela, kuntayhteistyö, Kaakkois-Suomi",
    "person_name": "Maija Meikäläinen",
    "role": "kuntayhteyshenkilö (municipal-cooperation contact)",
    "channels": [
        {"type": "phone", "value": "+358 20 634 0000", "note": "Mon-Thu 9-12"},
        {"type": "secure_email", "value": "kuntayhteistyo@example.fi", "note": None},
    ],
    "hours": "Mon-Fri 8-16",
    "services": ["municipal_cooperation"],
    "topics": ["basic social assistance", "basic amount reduction"],
    "description": (
        "Social workers in Etelä-Karjala reach Kela's municipal cooperation here, e.g. to give "
        "a statement on an application or to ask about a client's unclear situation."
    ),
}
"""The body of `PUT /v1/directory/entries/{entry_id}` on Kela's side."""

DIRECTORY_UPDATE_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "directory_update",
    "entries": [
        {
            **DIRECTORY_ENTRY_REQUEST_EXAMPLE,
            "entry_id": "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "updated_at": "2026-03-02T12:00:00+02:00",
        }
    ],
    "removed": ["2f4e6a8c-1b3d-4f5a-9c7e-8d6b4a2c0e1f"],
    "changed_at": "2026-03-02T12:00:00+02:00",
}
"""Kela tells the counties of a changed entry and a removed one."""

_COUNTY_WORKER: Final[dict[str, Any]] = {
    "name": "Sanna Sosiaalityöntekijä",
    "title": "sosiaalityöntekijä (social worker)",
    "unit": "Aikuissosiaalityö, Lappeenranta",
    "phone": "+358 40 123 4567",
    "email": "aikuissosiaalityo@example.fi",
}

STATEMENT_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "county_code": "11",
    "referral_id": None,
    "made_at": "2026-03-03T14:00:00+02:00",
    "client": {"identity_code": EXAMPLE_IDENTITY_CODE},
    "topics": ["move", "decision_period"],
    "text": (
        "The client is moving to supported housing on 1 April. We propose a one-month "
        "decision period until the move, as the housing costs will change."
    ),
    "author": _COUNTY_WORKER,
}
"""The body of `POST /v1/statements` on the municipality side."""

STATEMENT_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "statement",
    "statement_id": "3a9c1f0e-6b2d-4e8f-a1c3-5d7e9f0b2c4a",
    "made_at": STATEMENT_REQUEST_EXAMPLE["made_at"],
    "client": STATEMENT_REQUEST_EXAMPLE["client"],
    "topics": STATEMENT_REQUEST_EXAMPLE["topics"],
    "text": STATEMENT_REQUEST_EXAMPLE["text"],
    "author": _COUNTY_WORKER,
}
"""A statement of social work on the bus, county → Kela."""

STATEMENT_RECEIPT_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "statement_receipt",
    "statement_id": STATEMENT_EXAMPLE["statement_id"],
    "received_at": "2026-03-03T14:00:02+02:00",
}
"""Kela's receipt of a statement on the bus, Kela → the sending county."""

STATEMENT_SEARCH_EXAMPLE: Final[dict[str, Any]] = {"identity_code": EXAMPLE_IDENTITY_CODE}
"""The body of `POST /v1/statements/search` on Kela's side."""

RESPONSIBLE_WORKER_REQUEST_EXAMPLE: Final[dict[str, Any]] = {
    "worker": _COUNTY_WORKER,
    "directory_entry_id": None,
}
"""The body of `PUT /v1/referrals/{id}/responsible-worker` on the municipality side."""

RESPONSIBLE_WORKER_EXAMPLE: Final[dict[str, Any]] = {
    "kind": "responsible_worker",
    "named_at": "2026-03-04T13:35:00+02:00",
    "change": "named",
    "worker": _COUNTY_WORKER,
    "directory_entry_id": None,
}
"""A responsible worker named for a referral, on the bus, county → Kela."""
