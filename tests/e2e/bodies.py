"""The request bodies the end-to-end tests send: fresh copies of the shared examples, each
about a client of its own, and every identity code and name they hold (the log scans look
for all of them)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

from silta_schemas import cooperation_examples, examples
from silta_schemas.identity import control_character

IDENTITY_CODE = examples.EXAMPLE_IDENTITY_CODE
COUNTY = "11"
"""The examples' municipality 405 (Lappeenranta) routes to county 11 (Etelä-Karjala)."""
COUNTY_ORG = f"county-{COUNTY}"


PERSON_NAMES = frozenset(
    {
        examples.NOTICE_OF_NEED_EXAMPLE["kela_contact"]["name"],
        examples.NOTICE_OF_NEED_EXAMPLE["basis"]["recorded_by"],
        examples.STATEMENT_REQUEST_EXAMPLE["author"]["name"],
        examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE["person_name"],
        "Sanna Sosiaalityöntekijä",
        "Pekka Sosiaaliohjaaja",
    }
)
"""Names of people in the bodies the tests send: never in a log line either."""

ISSUED_IDENTITY_CODES: list[str] = []
"""Every client identity code a test body used: the log scan looks for all of them."""


_SERIALS = itertools.count()
"""Of the codes this function made (other tests add codes of their own to the list)."""


def new_identity_code() -> str:
    """A valid identity code for a client no other body in this run has used: individual
    numbers 002-899 on 1 January 1980, then on the days after it."""
    day, number = divmod(next(_SERIALS), 898)
    digits = f"{1 + day:02d}0180{2 + number:03d}"
    code = f"{digits[:6]}-{digits[6:]}{control_character(digits)}"
    ISSUED_IDENTITY_CODES.append(code)
    return code


def _about_a_new_client(example: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``example`` about a client of its own (duplicates are refused), with
    top-level ``changes`` applied."""
    body = copy.deepcopy(example)
    body["client"]["identity_code"] = new_identity_code()
    body.update(changes)
    return body


def notice_of_need(**changes: Any) -> dict[str, Any]:
    return _about_a_new_client(examples.NOTICE_OF_NEED_EXAMPLE, changes)


def application_transfer(**changes: Any) -> dict[str, Any]:
    return _about_a_new_client(examples.APPLICATION_TRANSFER_EXAMPLE, changes)


def statement(**changes: Any) -> dict[str, Any]:
    """The statement request example about a client of its own, ``changes`` applied."""
    return _about_a_new_client(examples.STATEMENT_REQUEST_EXAMPLE, changes)


def decision_notice(**changes: Any) -> dict[str, Any]:
    """The decision notice request example about a client of its own, ``changes`` applied."""
    return _about_a_new_client(cooperation_examples.DECISION_NOTICE_REQUEST_EXAMPLE, changes)


def consultation(identity_code: str, **changes: Any) -> dict[str, Any]:
    """Kela's officer asks county 11 about client ``identity_code``, with the client's consent
    (the consultation request example), top-level ``changes`` applied."""
    body = copy.deepcopy(cooperation_examples.CONSULTATION_REQUEST_EXAMPLE)
    body["client"]["identity_code"] = identity_code
    body.update(changes)
    return body


def consultation_answer(**changes: Any) -> dict[str, Any]:
    """The social worker's answer within the example question's purposes (an assessment and
    a work contact), top-level ``changes`` applied."""
    body = copy.deepcopy(cooperation_examples.CONSULTATION_ANSWER_REQUEST_EXAMPLE)
    body.update(changes)
    return body


def basic_amount_reduction(**changes: Any) -> dict[str, Any]:
    """The basic-amount-reduction example as it is (its client is the examples' own)."""
    body = copy.deepcopy(examples.BASIC_AMOUNT_REDUCTION_EXAMPLE)
    body.update(changes)
    return body


def child_welfare_notice(**changes: Any) -> dict[str, Any]:
    """A notice of need without consent, because a child's interest requires it (CWA §25)."""
    return notice_of_need(
        basis={
            "type": "legal_exception",
            "ground": "child_interest",
            "justification": "A child in the family needs protection; consent cannot wait.",
        },
        **changes,
    )


def county_worker_entry(**changes: Any) -> dict[str, Any]:
    """A directory entry for a social worker of county 11's adult social work unit,
    ``changes`` applied."""
    entry: dict[str, Any] = {
        "organisation": COUNTY_ORG,
        "county_code": COUNTY,
        "unit": "Aikuissosiaalityö, Lappeenranta",
        "person_name": "Sanna Sosiaalityöntekijä",
        "role": "sosiaalityöntekijä (social worker)",
        "channels": [{"type": "phone", "value": "+358 40 123 4567", "note": "Mon-Fri 9-11"}],
        "hours": "Mon-Fri 8-15",
    }
    entry.update(changes)
    return entry


def responsible_worker(entry_id: str | None = None, **worker: Any) -> dict[str, Any]:
    """A responsible-worker naming: the examples' social worker (no e-mail), ``worker``
    changes applied, linked to directory entry ``entry_id`` if given."""
    body = copy.deepcopy(examples.RESPONSIBLE_WORKER_REQUEST_EXAMPLE)
    body["worker"] |= {"email": None, **worker}
    body["directory_entry_id"] = entry_id
    return body


def wrong_control_character(code: str = IDENTITY_CODE) -> str:
    """``code`` with another (wrong) control character: same shape, invalid checksum."""
    return code[:-1] + ("A" if code[-1] != "A" else "B")


@dataclass(frozen=True)
class Bodies:
    """The body makers above, as the ``bodies`` fixture hands them to the tests."""

    identity_code: str = IDENTITY_CODE
    county: str = COUNTY
    county_org: str = COUNTY_ORG

    notice_of_need = staticmethod(notice_of_need)
    basic_amount_reduction = staticmethod(basic_amount_reduction)
    application_transfer = staticmethod(application_transfer)
    child_welfare_notice = staticmethod(child_welfare_notice)
    statement = staticmethod(statement)
    decision_notice = staticmethod(decision_notice)
    consultation = staticmethod(consultation)
    consultation_answer = staticmethod(consultation_answer)
    county_worker_entry = staticmethod(county_worker_entry)
    responsible_worker = staticmethod(responsible_worker)
    wrong_control_character = staticmethod(wrong_control_character)
    new_identity_code = staticmethod(new_identity_code)

    @staticmethod
    def issued_identity_codes() -> list[str]:
        return list(ISSUED_IDENTITY_CODES)
