"""A night's batch end to end: 500 notices of basic amount reduction in one request to Kela's
side, through the real broker, every one delivered to the county. SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from silta_schemas import examples
from silta_schemas.identity import control_character

from tests.e2e.bodies import ISSUED_IDENTITY_CODES

pytestmark = pytest.mark.e2e

NOTICES = 500


def _identity_code(serial: int) -> str:
    """Temporary individual numbers (900-999) on birth dates of their own: no other body of
    the run uses them."""
    digits = f"{1 + serial // 100:02d}0775{900 + serial % 100:03d}"
    code = f"{digits[:6]}-{digits[6:]}{control_character(digits)}"
    ISSUED_IDENTITY_CODES.append(code)  # the log scan looks for it too
    return code


def _entry(serial: int) -> dict[str, Any]:
    notice = copy.deepcopy(examples.BASIC_AMOUNT_REDUCTION_EXAMPLE)
    notice["client"]["identity_code"] = _identity_code(serial)
    return {"idempotency_key": f"night-{serial}", "referral": notice}


async def _every(
    listing: Callable[..., Awaitable[list[dict[str, Any]]]], **params: Any
) -> set[str]:
    """The ids of every page of a list."""
    found: set[str] = set()
    offset = 0
    while page := await listing(limit=500, offset=offset, **params):
        found |= {item["id"] for item in page}
        offset += len(page)
    return found


async def test_a_batch_of_500_reaches_the_county_every_one(any_silta, eventually) -> None:
    silta = any_silta
    body = b"".join(json.dumps(_entry(serial)).encode() + b"\n" for serial in range(NOTICES))
    headers = {"content-type": "application/x-ndjson", "accept": "application/x-ndjson"}

    response = await silta.kela_http.post("/v1/referrals/batch", content=body, headers=headers)

    assert response.status_code == 200, response.text
    results = [json.loads(line) for line in response.text.splitlines()]
    assert [result["index"] for result in results] == list(range(NOTICES))
    assert {result["outcome"] for result in results} == {"created"}
    ids = {result["id"] for result in results}

    async def all_at_the_county() -> None:
        inbox = await _every(silta.inbox)
        assert ids <= inbox, f"{len(ids - inbox)} not at the county yet"

    await eventually(all_at_the_county, timeout=120)

    async def all_delivered_at_kela() -> None:
        delivered = await _every(silta.kela_list, status="delivered")
        assert ids <= delivered, f"{len(ids - delivered)} not delivered yet"

    await eventually(all_delivered_at_kela, timeout=120)
    again = await silta.kela_http.post("/v1/referrals/batch", content=body, headers=headers)
    assert {json.loads(line)["outcome"] for line in again.text.splitlines()} == {"duplicate"}
    silta.assert_no_identity_code_in_logs()
