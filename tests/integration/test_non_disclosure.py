"""Address non-disclosure (turvakielto), fully: Kela's side routes with the municipality and
sends the county only the county code, also when it forwards; the request's location rules
answer with problem details. In-process on the real broker and both databases."""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import KELA_EXCHANGE

from tests.integration.conftest import eventually, tap
from tests.integration.peer import assert_problem, next_message
from tests.integration.test_kela_side import NOTICE, acknowledge


def _protected(**client: Any) -> dict[str, Any]:
    notice = copy.deepcopy(NOTICE)
    notice["client"] |= {"address_non_disclosure": True, "contact": None, **client}
    notice["basis"]["covers"] = ["notice_of_need"]
    return notice


async def test_the_county_gets_the_county_code_only_and_so_does_the_next_county(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    to_county_11, to_helsinki = [
        await tap(bus, KELA_EXCHANGE, f"notice_of_need.{county}") for county in ("11", "90")
    ]
    created = await kela.post("/v1/referrals", json=_protected())
    assert (created.status_code, created.json()["county_code"]) == (201, "11"), created.text

    sent = await eventually(lambda: next_message(to_county_11))
    assert sent["payload"]["client"]["municipality_code"] is None
    assert sent["payload"]["client"]["county_code"] == "11"
    assert NOTICE["client"]["municipality_code"] not in str(sent["payload"]["client"])

    first_id = UUID(created.json()["id"])
    await acknowledge(bus, first_id, 1, "delivered")
    await acknowledge(
        bus,
        first_id,
        2,
        "forwarded",
        reason="The client lives in Helsinki.",
        forwarded_to_county="90",
        forwarded_to_municipality="091",
    )
    onwards = await eventually(lambda: next_message(to_helsinki))
    assert onwards["payload"]["client"]["municipality_code"] is None
    assert onwards["payload"]["client"]["county_code"] == "90"


async def test_a_case_system_may_give_the_county_instead_of_the_municipality(
    kela: httpx.AsyncClient,
) -> None:
    created = await kela.post(
        "/v1/referrals", json=_protected(municipality_code=None, county_code="90")
    )

    assert created.status_code == 201, created.text
    assert created.json()["county_code"] == "90"


async def test_the_location_rules_answer_with_problem_details(kela: httpx.AsyncClient) -> None:
    without_protection = copy.deepcopy(NOTICE)
    without_protection["client"]["county_code"] = "11"
    nowhere = _protected(municipality_code=None)
    both = _protected(county_code="11")

    assert_problem(
        await kela.post("/v1/referrals", json=without_protection),
        422,
        "client.county_code",
        "client.county_code_not_allowed",
    )
    assert_problem(
        await kela.post("/v1/referrals", json=nowhere),
        422,
        "client.municipality_code",
        "client.municipality_required",
    )
    assert_problem(
        await kela.post("/v1/referrals", json=both),
        422,
        "client.county_code",
        "client.location_ambiguous",
    )
    assert (await kela.get("/v1/referrals")).json()["items"] == []
