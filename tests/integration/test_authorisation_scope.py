"""What each role sees, over HTTP, on both services in-process (real RabbitMQ, SQLite): a
county user's view limited to its counties, Kela's to what Kela sent, operations without
personal data, a unit lead's directory part and statistics."""

from __future__ import annotations

import uuid
from typing import Any

from silta_platform.authorisation import (
    Role,
    Side,
)
from silta_schemas import examples

from tests.integration.authorised import (
    acknowledged_referral,
    delivered_referral,
    notice,
    statement,
)
from tests.integration.conftest import Both, eventually


async def test_a_county_user_sees_only_its_counties(both: Both) -> None:
    referral_id = await delivered_referral(both)
    ours = both.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER, county="11")
    theirs = both.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD, county="90")
    sent = await both.municipality.post("/v1/statements", json=statement(), headers=ours)
    assert sent.status_code == 201, sent.text
    statement_id = sent.json()["id"]

    for url in (
        f"/v1/referrals/{referral_id}",
        f"/v1/referrals/{referral_id}/responsible-worker",
        f"/v1/statements/{statement_id}",
    ):
        assert (await both.municipality.get(url, headers=ours)).status_code == 200, url
        hidden = await both.municipality.get(url, headers=theirs)
        elsewhere = url.replace(referral_id, str(uuid.uuid4()))
        missing = await both.municipality.get(
            elsewhere.replace(statement_id, str(uuid.uuid4())), headers=theirs
        )
        assert hidden.status_code == missing.status_code == 404, url
        # indistinguishable from not existing
        assert {**hidden.json(), "instance": ""} == {**missing.json(), "instance": ""}
    for method, url, body in (
        ("POST", f"/v1/referrals/{referral_id}/status", {"status": "accepted"}),
        (
            "PUT",
            f"/v1/referrals/{referral_id}/responsible-worker",
            examples.RESPONSIBLE_WORKER_REQUEST_EXAMPLE,
        ),
    ):
        refused = await both.municipality.request(method, url, json=body, headers=theirs)
        assert refused.status_code == 404, refused.text
    for url in ("/v1/referrals", "/v1/statements"):
        mine = {
            item["id"] for item in (await both.municipality.get(url, headers=ours)).json()["items"]
        }
        other = (await both.municipality.get(url, headers=theirs)).json()["items"]
        assert {referral_id, statement_id} & mine
        assert other == []
    # county 90's user cannot send a statement on county 11's behalf
    refused = await both.municipality.post("/v1/statements", json=statement(), headers=theirs)
    assert refused.status_code == 422, refused.text


async def test_kela_sees_what_kela_sent(both: Both) -> None:
    referral_id = await delivered_referral(both)
    contact = both.token(Side.KELA, Role.KELA_COOPERATION_CONTACT)
    listed = await both.kela.get("/v1/referrals", headers=contact)
    assert referral_id in {item["id"] for item in listed.json()["items"]}


async def test_operations_peek_at_dead_letters_without_taking_them(
    both: Both, amqp_url: str
) -> None:
    import aio_pika

    ids = [f"poison-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("silta.county")
        for message_id in ids:
            await exchange.publish(
                aio_pika.Message(b"{not json 131052-308T", message_id=message_id, type="statement"),
                routing_key="statement.11",
            )
    finally:
        await connection.close()
    operations = both.token(Side.KELA, Role.OPERATIONS)

    async def parked() -> dict[str, Any]:
        answer = await both.kela.get("/v1/ops/dead-letters?limit=2", headers=operations)
        assert answer.status_code == 200, answer.text
        queues: dict[str, Any] = answer.json()["queues"][0]
        return queues

    async def all_parked() -> bool:  # counted apart: a peek while parking may reorder
        async with await aio_pika.connect(amqp_url) as connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(f"{both.kela_queue}.parked", passive=True)
            return queue.declaration_result.message_count == 3

    await eventually(all_parked)
    for _ in range(3):  # peeking again and again: the same messages, the same order
        queue = await parked()
        assert queue["count"] == 3
        assert queue["peeked"] is True
        assert [m["message_id"] for m in queue["messages"]] == ids[:2]
        assert queue["messages"][0]["kind"] == "statement"
        assert queue["messages"][0]["reason"]
        assert queue["messages"][0]["original_routing_key"] == "statement.11"
    answer = await both.kela.get("/v1/ops/dead-letters", headers=operations)
    assert "131052-308T" not in answer.text  # never the body
    assert [m["message_id"] for m in answer.json()["queues"][0]["messages"]] == ids


async def test_operations_reads_metrics_without_personal_data(both: Both) -> None:
    # Kela's inbox counts the county's acknowledgement only once Kela has applied it.
    referral_id = await acknowledged_referral(both)
    for side, client in ((Side.KELA, both.kela), (Side.MUNICIPALITY, both.municipality)):
        response = await client.get("/v1/ops/metrics", headers=both.token(side, Role.OPERATIONS))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        figures = {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in response.text.splitlines()
            if line and not line.startswith("#")
        }
        assert figures["silta_broker_connected"] == 1
        assert figures["silta_consumers_subscribed"] == (1 if side is Side.KELA else 2)
        assert figures["silta_inbox_messages"] >= 1  # the referral, or its acknowledgement
        assert "silta_outbox_pending" in figures
        assert figures["silta_relay_publishing"] == 1  # the one replica has published
        assert any(name.startswith("silta_queue_messages{") for name in figures)
        assert referral_id not in response.text
        assert examples.EXAMPLE_IDENTITY_CODE not in response.text


async def test_a_unit_lead_maintains_only_their_own_countys_directory_part(both: Both) -> None:
    """The deployment serves 11 and 90; each county's unit lead edits only its own part."""
    entry = examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE | {
        "organisation": "county-90",
        "county_code": "90",
        "services": [],
    }
    lead_90 = both.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD, county="90")
    lead_11 = both.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD, county="11")
    path = f"/v1/directory/entries/{uuid.uuid4()}"
    created = await both.municipality.put(path, json=entry, headers=lead_90)
    assert created.status_code == 201, created.text

    other = await both.municipality.put(path, json=entry | {"hours": "never"}, headers=lead_11)
    assert other.status_code == 422
    assert other.json()["errors"][0]["rule"] == "directory.not_maintained_here"
    removed = await both.municipality.delete(path, headers=lead_11)
    assert removed.status_code == 409
    unchanged = await both.municipality.get(path, headers=lead_11)
    assert unchanged.json()["hours"] == entry["hours"]
    assert (await both.municipality.delete(path, headers=lead_90)).status_code == 204


async def test_a_unit_lead_sees_statistics_of_their_own_counties_operations_all(
    both: Both,
) -> None:
    await delivered_referral(both)  # county 11
    helsinki = notice()
    helsinki["client"]["municipality_code"] = "091"
    sent = await both.kela.post(
        "/v1/referrals", json=helsinki, headers=both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    )
    assert sent.status_code == 201, sent.text
    operations = both.token(Side.MUNICIPALITY, Role.OPERATIONS)

    async def counties_seen(headers: dict[str, str]) -> list[str]:
        response = await both.municipality.get("/v1/stats", headers=headers)
        assert response.status_code == 200, response.text
        return sorted({group["county_code"] for group in response.json()["groups"]})

    async def both_arrived() -> bool:
        return await counties_seen(operations) == ["11", "90"]

    await eventually(both_arrived)
    lead_11 = both.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD, county="11")
    lead_90 = both.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD, county="90")
    assert await counties_seen(lead_11) == ["11"]
    assert await counties_seen(lead_90) == ["90"]
