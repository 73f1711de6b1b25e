"""The access log answers each caller only its own organisation's and counties' entries: one
deployment serving two counties (11 and 90), the real broker and both databases."""

from __future__ import annotations

import copy
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from silta_platform.auth import MUNICIPALITY_AUDIENCE
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples

from tests.integration.conftest import eventually
from tests.integration.test_municipality_side import deliver, in_inbox

CODE = examples.EXAMPLE_IDENTITY_CODE


def lead_of(issuer: DevIssuer, county: str) -> dict[str, str]:
    """The headers of a unit lead (and social worker) of ``county`` only."""
    token = issuer.mint(
        roles=["county_unit_lead", "county_social_worker"],
        org=f"county-{county}",
        counties=[county],
        audience=MUNICIPALITY_AUDIENCE,
        subject=f"lead-{county}",
    )
    return {"Authorization": f"Bearer {token}"}


def notice_for(county: str) -> dict[str, Any]:
    """The example notice, for a client living in Lappeenranta (county 11) or Helsinki (90)."""
    notice = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    notice["client"]["municipality_code"] = {"11": "405", "90": "091"}[county]
    return notice


async def search(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.post(
        "/v1/access-log/search", json={"identity_code": CODE}, headers=headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_county_sees_only_its_own_entries_of_a_client(
    municipality: httpx.AsyncClient, bus: AbstractChannel, dev_issuer: DevIssuer
) -> None:
    helsinki, vantaa = lead_of(dev_issuer, "90"), lead_of(dev_issuer, "11")
    in_90 = await deliver(bus, notice_for("90"))
    await eventually(lambda: in_inbox(municipality, in_90))
    read = await municipality.get(f"/v1/referrals/{in_90}", headers=helsinki)
    assert read.status_code == 200

    # county 11's lead learns nothing of county 90's client: not who, not when, not what
    assert await search(municipality, vantaa) == []

    # county 90's lead answers its client's request in full
    seen = await search(municipality, helsinki)
    assert {(item["action"], item["channel"]) for item in seen} == {
        ("create", "bus"),
        ("read", "http"),
    }
    assert {item["resource_id"] for item in seen} == {str(in_90)}

    # the same client in county 11 too: each county sees its own referral, and its own
    # searches, never the other's (nor that the other county searched)
    in_11 = await deliver(bus, notice_for("11"))
    await eventually(lambda: in_inbox(municipality, in_11))
    for_11 = await search(municipality, vantaa)
    assert {item["resource_id"] for item in for_11} == {str(in_11), None}
    assert {item["subject"] for item in for_11 if item["action"] == "access_request"} == {"lead-11"}
    for_90 = await search(municipality, helsinki)
    assert {item["resource_id"] for item in for_90} == {str(in_90), None}
    assert all(item["subject"] != "lead-11" for item in for_90)

    # a user serving both counties sees both (the fixture's token)
    both = (await municipality.post("/v1/access-log/search", json={"identity_code": CODE})).json()
    assert {str(in_11), str(in_90)} <= {item["resource_id"] for item in both["items"]}


async def test_kela_still_answers_its_clients_requests(kela: httpx.AsyncClient) -> None:
    created = (await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE)).json()
    items = await search(kela, {})
    assert [(item["action"], item["resource_id"]) for item in items] == [("create", created["id"])]
