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

DECISION_NOTICE_SEARCH_EXAMPLE: Final[dict[str, Any]] = {"identity_code": EXAMPLE_IDENTITY_CODE}
"""The body of `POST /v1/decision-notices/search` on Kela's side."""

COUNTY_WORKER: Final[dict[str, Any]] = STATEMENT_EXAMPLE["author"]
