"""Authentication and the permission table, over HTTP, on both services in-process (real
RabbitMQ, SQLite): every role × every endpoint, a county user's view limited to its counties,
and every way a token can be wrong."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from silta_platform.auth import KELA_AUDIENCE, MUNICIPALITY_AUDIENCE
from silta_platform.authorisation import (
    COUNTY_ROLES,
    KELA_ROLES,
    PERMISSIONS,
    Role,
    Side,
    allowed_roles,
)
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples
from silta_schemas.identity import control_character

from tests.integration.conftest import Both, eventually, two_sides

_serial = iter(range(100, 899))


def _identity_code() -> str:
    digits = f"010290{next(_serial):03d}"
    return f"010290-{digits[6:]}{control_character(digits)}"


def _notice() -> dict[str, Any]:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    body["client"]["identity_code"] = _identity_code()
    return body


def _statement() -> dict[str, Any]:
    body = copy.deepcopy(examples.STATEMENT_REQUEST_EXAMPLE)
    body["client"]["identity_code"] = _identity_code()
    return body


@pytest.fixture
async def both(tmp_path: Path, amqp_url: str, dev_issuer: DevIssuer) -> AsyncIterator[Both]:
    kela_url = f"sqlite+aiosqlite:///{tmp_path / 'kela.db'}"
    municipality_url = f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}"
    async with two_sides(kela_url, municipality_url, amqp_url, dev_issuer) as sides:
        yield sides


async def _delivered_referral(both: Both) -> str:
    """A notice Kela sent to county 11, once the county side has it."""
    sent = await both.kela.post(
        "/v1/referrals", json=_notice(), headers=both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    )
    assert sent.status_code == 201, sent.text
    referral_id: str = sent.json()["id"]
    worker = both.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)

    async def arrived() -> bool:
        answer = await both.municipality.get(f"/v1/referrals/{referral_id}", headers=worker)
        return answer.status_code == 200

    await eventually(arrived)
    return referral_id


def _v1_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every ``/v1`` operation the application serves (all of them are documented)."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    )


Request = Callable[[], dict[str, Any]]


def _requests(referral_id: str) -> dict[tuple[str, str], Request]:
    """For each path: the request an allowed caller might make (the same for every role)."""
    unknown = str(uuid.uuid4())
    return {
        "/v1/referrals": lambda: {"json": _notice()},
        "/v1/referrals/{referral_id}": lambda: {"url": f"/v1/referrals/{referral_id}"},
        "/v1/referrals/{referral_id}/cancel": lambda: {
            "url": f"/v1/referrals/{referral_id}/cancel",
            "json": examples.CANCELLATION_REQUEST_EXAMPLE,
        },
        "/v1/referrals/{referral_id}/status": lambda: {
            "url": f"/v1/referrals/{referral_id}/status",
            "json": {"status": "accepted"},
        },
        "/v1/referrals/{referral_id}/responsible-worker": lambda: {
            "url": f"/v1/referrals/{referral_id}/responsible-worker",
            "json": examples.RESPONSIBLE_WORKER_REQUEST_EXAMPLE,
        },
        "/v1/statements": lambda: {"json": _statement()},
        "/v1/statements/search": lambda: {"json": examples.STATEMENT_SEARCH_EXAMPLE},
        "/v1/statements/{statement_id}": lambda: {"url": f"/v1/statements/{unknown}"},
        "/v1/directory": lambda: {},
        "/v1/directory/services": lambda: {},
        "/v1/directory/entries/{entry_id}": lambda: {
            "url": f"/v1/directory/entries/{unknown}",
            "json": examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE,
        },
        "/v1/stats": lambda: {},
        "/v1/ops/dead-letters": lambda: {},
        "/v1/ops/metrics": lambda: {},
        "/v1/ops/evidence/{referral_id}": lambda: {"url": f"/v1/ops/evidence/{referral_id}"},
        "/v1/access-log/search": lambda: {
            "json": {"identity_code": examples.EXAMPLE_IDENTITY_CODE}
        },
    }  # type: ignore[dict-item]


PERSONAL_DATA = {
    "/v1/referrals",
    "/v1/referrals/{referral_id}",
    "/v1/referrals/{referral_id}/cancel",
    "/v1/referrals/{referral_id}/status",
    "/v1/referrals/{referral_id}/responsible-worker",
    "/v1/statements",
    "/v1/statements/search",
    "/v1/statements/{statement_id}",
    "/v1/access-log/search",
}
"""Paths answering with a referral, a statement or client data: never for operations."""


def test_the_table_is_what_the_domain_asks() -> None:
    for permission in PERMISSIONS:
        if permission.side is Side.KELA:
            assert not permission.roles & COUNTY_ROLES, permission
        else:
            assert not permission.roles & KELA_ROLES, permission
        if permission.path in PERSONAL_DATA:
            assert Role.OPERATIONS not in permission.roles, permission
    officer_only = {("POST", "/v1/referrals"), ("POST", "/v1/referrals/{referral_id}/cancel")}
    for method, path in officer_only:
        assert allowed_roles(Side.KELA, method, path) == {Role.KELA_BENEFIT_OFFICER}
    assert allowed_roles(Side.MUNICIPALITY, "GET", "/v1/stats") == {
        Role.COUNTY_UNIT_LEAD,
        Role.OPERATIONS,
    }


def test_the_readme_shows_the_table() -> None:
    from silta_platform.authorisation import permission_table_markdown

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert permission_table_markdown() in readme


async def test_every_role_on_every_endpoint_of_both_sides(both: Both) -> None:
    referral_id = await _delivered_referral(both)
    requests = _requests(referral_id)
    sides = (
        (Side.KELA, both.kela, both.kela_app),
        (Side.MUNICIPALITY, both.municipality, both.municipality_app),
    )
    cells = 0
    for side, client, app in sides:
        routes = _v1_routes(app)
        in_table = sorted((p.method, p.path) for p in PERMISSIONS if p.side is side)
        assert routes == in_table, f"{side}: the routes and the permission table differ"
        for method, path in routes:
            for role in Role:
                spec = requests[path]()
                url = spec.pop("url", path)
                response = await client.request(method, url, headers=both.token(side, role), **spec)
                cell = f"{side} {role} {method} {path}: {response.status_code} {response.text}"
                if role in allowed_roles(side, method, path):
                    assert response.status_code not in (401, 403), cell
                    assert response.status_code < 500, cell
                else:
                    assert response.status_code == 403, cell
                    assert response.json()["rule"] == "auth.role_not_permitted", cell
                    assert response.headers["content-type"] == "application/problem+json"
                cells += 1
    assert cells == len(Role) * len(PERMISSIONS)


async def test_a_county_user_sees_only_its_counties(both: Both) -> None:
    referral_id = await _delivered_referral(both)
    ours = both.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER, county="11")
    theirs = both.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD, county="90")
    sent = await both.municipality.post("/v1/statements", json=_statement(), headers=ours)
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
    refused = await both.municipality.post("/v1/statements", json=_statement(), headers=theirs)
    assert refused.status_code == 422, refused.text


async def test_kela_sees_what_kela_sent(both: Both) -> None:
    referral_id = await _delivered_referral(both)
    contact = both.token(Side.KELA, Role.KELA_COOPERATION_CONTACT)
    listed = await both.kela.get("/v1/referrals", headers=contact)
    assert referral_id in {item["id"] for item in listed.json()["items"]}


async def test_open_endpoints_need_no_token(both: Both) -> None:
    for client in (both.kela, both.municipality):
        for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
            assert (await client.get(path)).status_code == 200, path


async def test_the_openapi_documents_declare_the_bearer_scheme(both: Both) -> None:
    for client in (both.kela, both.municipality):
        document = (await client.get("/openapi.json")).json()
        scheme = document["components"]["securitySchemes"]["bearer"]
        assert scheme == {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": scheme["description"],
        }
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                secured = operation.get("security") == [{"bearer": []}]
                assert secured == path.startswith("/v1/"), f"{method} {path}"
                if secured:
                    assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"


async def test_every_wrong_token_is_a_401_naming_the_rule(both: Both, tmp_path: Path) -> None:
    issuer = both.issuer
    officer = {"roles": ["kela_benefit_officer"], "org": "kela"}
    stranger = DevIssuer.generate(tmp_path / "stranger.json", kid_prefix="other-")
    impostor = DevIssuer(stranger.private_key, issuer.kid, tmp_path / "impostor.json")
    cases: dict[str, str | None] = {
        "auth.token_missing": None,
        "auth.token_malformed": "not-a-jwt",
        "auth.token_expired": issuer.mint(
            audience=KELA_AUDIENCE, lifetime=timedelta(hours=-1), **officer
        ),
        "auth.wrong_audience": issuer.mint(audience=MUNICIPALITY_AUDIENCE, **officer),
        "auth.wrong_issuer": issuer.mint(audience=KELA_AUDIENCE, iss="someone-else", **officer),
        "auth.bad_signature": impostor.mint(audience=KELA_AUDIENCE, **officer),
        "auth.unknown_key": stranger.mint(audience=KELA_AUDIENCE, **officer),
        "auth.claim_missing": _without_org(issuer),
    }
    for rule, token in cases.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await both.kela.get("/v1/referrals", headers=headers)
        assert response.status_code == 401, (rule, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        problem = response.json()
        assert problem["rule"] == rule, problem
        assert problem["errors"][0]["rule"] == rule
        if token:
            assert token not in response.text
            assert rule in response.headers["www-authenticate"]
    basic = await both.kela.get("/v1/referrals", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401
    assert basic.json()["rule"] == "auth.token_missing"


def _without_org(issuer: DevIssuer) -> str:
    import jwt

    claims = jwt.decode(
        issuer.mint(roles=["kela_benefit_officer"], org="kela", audience=KELA_AUDIENCE),
        options={"verify_signature": False},
    )
    del claims["org"]
    return jwt.encode(claims, issuer.private_key, algorithm="ES256", headers={"kid": issuer.kid})


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


async def acknowledged_referral(both: Both) -> str:
    """A notice Kela sent to county 11, once Kela has applied the county's acknowledgement."""
    referral_id = await _delivered_referral(both)
    officer = both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)

    async def acknowledged_at_kela() -> bool:
        answer = await both.kela.get(f"/v1/referrals/{referral_id}", headers=officer)
        return answer.status_code == 200 and answer.json()["status"] == "delivered"

    await eventually(acknowledged_at_kela)
    return referral_id


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


async def test_without_a_token_even_a_broken_body_gets_401(both: Both) -> None:
    for client, path in ((both.kela, "/v1/referrals"), (both.municipality, "/v1/statements")):
        response = await client.post(
            path, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401, response.text
        assert response.json()["errors"][0]["rule"] == "auth.token_missing"


async def test_a_unit_lead_sees_statistics_of_their_own_counties_operations_all(
    both: Both,
) -> None:
    await _delivered_referral(both)  # county 11
    helsinki = _notice()
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
