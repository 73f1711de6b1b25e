"""A night's batch on Kela's side (``POST /v1/referrals/batch``), in-process, on the real broker,
SQLite and PostgreSQL: one answer per entry, by the single POST's rules, idempotent per entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples
from silta_schemas.identity import control_character

from tests.integration.conftest import running_kela
from tests.integration.peer import changed

BATCH = "/v1/referrals/batch"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NDJSON = "application/x-ndjson"
FORWARDED = {
    "referral_id": "0b6f6a5e-2f7c-4d55-9c1e-3f6b1d0c2a11",
    "county_code": "11",
    "reason": "not ours",
}


def identity_code(serial: int) -> str:
    """A valid identity code, one per ``serial`` (individual numbers 900-999: temporary)."""
    digits = f"0203{60 + serial // 100:02d}{900 + serial % 100:03d}"
    return f"{digits[:6]}-{digits[6:]}{control_character(digits)}"


def notice(serial: int, **changes: Any) -> dict[str, Any]:
    body = changed(examples.BASIC_AMOUNT_REDUCTION_EXAMPLE, **changes)
    body["client"] = {**body["client"], "identity_code": identity_code(serial)}
    return body


def entry(key: str, referral: dict[str, Any]) -> dict[str, Any]:
    return {"idempotency_key": key, "referral": referral}


def ndjson(entries: list[Any]) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in entries)


def problem_rule(result: dict[str, Any]) -> tuple[str, str]:
    [error] = result["problem"]["errors"]
    return error["field"], error["rule"]


async def test_a_mixed_batch_is_answered_entry_by_entry_in_order(kela: httpx.AsyncClient) -> None:
    bad_code = notice(3)
    bad_code["client"]["identity_code"] = bad_code["client"]["identity_code"][:-1] + "X"
    batch = [
        entry("n-1", notice(1)),
        entry("n-2", notice(2)),
        entry("n-3", bad_code),
        entry("n-1", notice(1)),  # the same key and body again: the same referral
        entry("n-2", notice(4)),  # the same key, another body
        entry("n-5", notice(1)),  # the client already has this notice open at the county
        entry("n-6", notice(6, forwarded_from=FORWARDED)),
        {"referral": notice(7)},  # no key
    ]
    response = await kela.post(BATCH, json=batch)

    assert response.status_code == 200
    answer = response.json()
    items = answer["items"]
    assert [item["index"] for item in items] == list(range(len(batch)))
    assert [item["outcome"] for item in items] == [
        "created",
        "created",
        "refused",
        "duplicate",
        "refused",
        "refused",
        "refused",
        "refused",
    ]
    assert (answer["created"], answer["duplicate"], answer["refused"]) == (2, 1, 5)
    assert items[3]["id"] == items[0]["id"]
    assert problem_rule(items[2]) == ("client.identity_code", "identity_code.control_character")
    assert problem_rule(items[4]) == ("idempotency_key", "idempotency_key.reused")
    assert problem_rule(items[5]) == ("new_referral_reason", "referral.duplicate_open")
    assert items[5]["problem"]["status"] == 409
    assert items[5]["problem"]["existing_referral"]["id"] == items[0]["id"]
    assert problem_rule(items[6]) == ("forwarded_from", "forwarded_from.not_allowed")
    assert problem_rule(items[7]) == ("idempotency_key", "missing")
    assert identity_code(3)[:-1] not in response.text  # never a value back
    for created in items[:2]:
        stored = await kela.get(created["href"])
        assert stored.json()["status"] == "sent"
        assert stored.json()["kind"] == "basic_amount_reduction"
    listed = (await kela.get("/v1/referrals")).json()["items"]
    assert len(listed) == 2


async def test_the_whole_batch_again_answers_duplicates_with_the_same_ids(
    kela: httpx.AsyncClient,
) -> None:
    batch = [entry(f"again-{serial}", notice(serial)) for serial in range(20)]
    headers = {"content-type": NDJSON, "accept": NDJSON}

    first = await kela.post(BATCH, content=ndjson(batch), headers=headers)
    again = await kela.post(BATCH, content=ndjson(batch), headers=headers)

    assert first.status_code == again.status_code == 200
    assert first.headers["content-type"].startswith(NDJSON)
    created = [json.loads(line) for line in first.text.splitlines()]
    repeated = [json.loads(line) for line in again.text.splitlines()]
    assert {item["outcome"] for item in created} == {"created"}
    assert {item["outcome"] for item in repeated} == {"duplicate"}
    assert [item["id"] for item in repeated] == [item["id"] for item in created]
    assert len((await kela.get("/v1/referrals", params={"limit": 100})).json()["items"]) == 20


async def test_an_unparsable_line_is_refused_alone(kela: httpx.AsyncClient) -> None:
    body = ndjson([entry("line-0", notice(0))]) + b"{not json\n" + ndjson([entry("l", notice(1))])

    response = await kela.post(BATCH, content=body, headers={"content-type": NDJSON})

    items = response.json()["items"]
    assert [item["outcome"] for item in items] == ["created", "refused", "created"]
    assert problem_rule(items[1]) == ("body", "json_invalid")


async def test_more_than_the_limit_is_refused_before_anything_is_stored(
    kela: httpx.AsyncClient,
) -> None:
    line = json.dumps(entry("same", notice(0))).encode() + b"\n"

    too_many = await kela.post(BATCH, content=line * 10_001, headers={"content-type": NDJSON})
    as_array = await kela.post(BATCH, json=[entry("same", notice(0))] * 10_001)

    for response in (too_many, as_array):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["errors"][0]["rule"] == "batch.too_many_items"
        assert problem["max_items"] == 10_000
    assert (await kela.get("/v1/referrals")).json()["items"] == []


async def test_the_limit_itself_is_taken(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer
) -> None:
    batch = [entry(f"limit-{serial}", notice(serial)) for serial in range(5)]
    async with running_kela(database_url, amqp_url, dev_issuer, batch_max_items=5) as kela:
        taken = await kela.post(BATCH, json=batch)
        refused = await kela.post(BATCH, json=[*batch, entry("sixth", notice(6))])

    assert taken.json()["created"] == 5
    assert refused.status_code == 422


async def test_only_the_batch_route_takes_a_large_body(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer
) -> None:
    batch = [entry(f"big-{serial}", notice(serial)) for serial in range(30)]
    async with running_kela(
        database_url, amqp_url, dev_issuer, max_body_bytes=4096, batch_max_body_bytes=65536
    ) as kela:
        taken = await kela.post(BATCH, json=batch)
        single = await kela.post("/v1/referrals", json={**notice(99), "padding": "x" * 5000})
        too_large = await kela.post(BATCH, json=batch * 5)

    assert len(json.dumps(batch)) > 4096
    assert taken.status_code == 200
    assert taken.json()["created"] == 30
    assert single.status_code == too_large.status_code == 413


async def test_a_batch_needs_json_or_ndjson(kela: httpx.AsyncClient) -> None:
    response = await kela.post(BATCH, content=b"x", headers={"content-type": "text/plain"})

    assert response.status_code == 415
    assert response.json()["errors"][0]["rule"] == "content_type.unsupported"


async def test_the_example_batches_are_taken(kela: httpx.AsyncClient) -> None:
    ndjson_body = (EXAMPLES / "referral_batch.ndjson").read_bytes()
    json_body = (EXAMPLES / "referral_batch.json").read_bytes()

    first = await kela.post(BATCH, content=ndjson_body, headers={"content-type": NDJSON})
    again = await kela.post(BATCH, content=json_body, headers={"content-type": "application/json"})

    assert [item["outcome"] for item in first.json()["items"]] == ["created"] * 3
    assert [item["outcome"] for item in again.json()["items"]] == ["duplicate"] * 3
