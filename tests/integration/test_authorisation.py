"""Authentication and the permission table, over HTTP, on both services in-process (real
RabbitMQ, SQLite): every role × every endpoint, the open endpoints, and every way a token can
be wrong."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from silta_schemas import cooperation_examples, examples

from tests.integration.authorised import delivered_referral, notice, statement
from tests.integration.conftest import Both


def _v1_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every ``/v1`` operation the application serves (all of them are documented)."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    )


Request = Callable[[], dict[str, Any]]


def case_manager_period() -> dict[str, Any]:
    """A period from today (a second one for the same client is a 409, also allowed)."""
    today = datetime.now(UTC).date()
    dates = {"starts_on": str(today), "ends_on": str(today + timedelta(days=30))}
    return cooperation_examples.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE | dates


def _requests(referral_id: str) -> dict[tuple[str, str], Request]:
    """For each path: the request an allowed caller might make (the same for every role)."""
    unknown = str(uuid.uuid4())
    return {
        "/v1/referrals": lambda: {"json": notice()},
        "/v1/referrals/batch": lambda: {"json": [{"idempotency_key": "k", "referral": notice()}]},
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
        "/v1/referrals/{referral_id}/assignee": lambda: {
            "url": f"/v1/referrals/{referral_id}/assignee",
            "json": {"worker_id": "sanna.sosiaalityontekija"},
        },
        "/v1/code-lists": lambda: {},
        "/v1/code-lists/{name}": lambda: {"url": "/v1/code-lists/hold_reasons"},
        "/v1/statements": lambda: {"json": statement()},
        "/v1/statements/search": lambda: {"json": examples.STATEMENT_SEARCH_EXAMPLE},
        "/v1/clients/cooperation": lambda: {"json": examples.STATEMENT_SEARCH_EXAMPLE},
        "/v1/statements/{statement_id}": lambda: {"url": f"/v1/statements/{unknown}"},
        "/v1/case-manager-periods": lambda: {"json": case_manager_period()},
        "/v1/case-manager-periods/{record_id}/change": lambda: {
            "url": f"/v1/case-manager-periods/{unknown}/change",
            "json": cooperation_examples.CASE_MANAGER_CHANGE_EXAMPLE,
        },
        "/v1/case-manager-periods/{record_id}/end": lambda: {
            "url": f"/v1/case-manager-periods/{unknown}/end",
            "json": {},
        },
        "/v1/case-manager-periods/{record_id}": lambda: {
            "url": f"/v1/case-manager-periods/{unknown}"
        },
        "/v1/case-manager-periods/search": lambda: {"json": examples.STATEMENT_SEARCH_EXAMPLE},
        "/v1/cooperation-cases": lambda: {
            "json": cooperation_examples.COOPERATION_CASE_REQUEST_EXAMPLE
        },
        "/v1/cooperation-cases/{record_id}/follow-up": lambda: {
            "url": f"/v1/cooperation-cases/{unknown}/follow-up",
            "json": {"follow_up_on": None},
        },
        "/v1/cooperation-cases/{record_id}/links": lambda: {
            "url": f"/v1/cooperation-cases/{unknown}/links",
            "json": {"links": cooperation_examples.COOPERATION_CASE_REQUEST_EXAMPLE["links"]},
        },
        "/v1/cooperation-cases/{record_id}/close": lambda: {
            "url": f"/v1/cooperation-cases/{unknown}/close"
        },
        "/v1/cooperation-cases/{record_id}": lambda: {"url": f"/v1/cooperation-cases/{unknown}"},
        "/v1/cooperation-cases/search": lambda: {"json": examples.STATEMENT_SEARCH_EXAMPLE},
        "/v1/directory": lambda: {},
        "/v1/directory/services": lambda: {},
        "/v1/directory/entries/{entry_id}": lambda: {
            "url": f"/v1/directory/entries/{unknown}",
            "json": examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE,
        },
        "/v1/stats": lambda: {},
        "/v1/ops/dead-letters": lambda: {},
        "/v1/ops/dead-letters/{message_id}": lambda: {"url": f"/v1/ops/dead-letters/{unknown}"},
        "/v1/ops/dead-letters/{message_id}/requeue": lambda: {
            "url": f"/v1/ops/dead-letters/{unknown}/requeue"
        },
        "/v1/ops/metrics": lambda: {},
        "/v1/ops/evidence/{referral_id}": lambda: {"url": f"/v1/ops/evidence/{referral_id}"},
        "/v1/access-log/search": lambda: {
            "json": {"identity_code": examples.EXAMPLE_IDENTITY_CODE}
        },
        "/v1/events": lambda: {},
        "/v1/webhooks": lambda: {"json": {"url": "https://93.184.215.14/hook"}},
        "/v1/webhooks/{webhook_id}": lambda: {"url": f"/v1/webhooks/{unknown}"},
        "/v1/webhooks/{webhook_id}/replay": lambda: {
            "url": f"/v1/webhooks/{unknown}/replay?from=1"
        },
        "/v1/decision-notices": lambda: {
            "json": cooperation_examples.DECISION_NOTICE_REQUEST_EXAMPLE
        },
        "/v1/decision-notices/search": lambda: {
            "json": cooperation_examples.DECISION_NOTICE_SEARCH_EXAMPLE
        },
        "/v1/decision-notices/{notice_id}": lambda: {"url": f"/v1/decision-notices/{unknown}"},
        "/v1/consultations": lambda: {"json": cooperation_examples.CONSULTATION_REQUEST_EXAMPLE},
        "/v1/consultations/search": lambda: {
            "json": cooperation_examples.CONSULTATION_SEARCH_EXAMPLE
        },
        "/v1/consultations/{consultation_id}": lambda: {"url": f"/v1/consultations/{unknown}"},
        "/v1/consultations/{consultation_id}/answer": lambda: {
            "url": f"/v1/consultations/{unknown}/answer",
            "json": cooperation_examples.CONSULTATION_ANSWER_REQUEST_EXAMPLE,
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
    "/v1/clients/cooperation",
    "/v1/access-log/search",
    "/v1/case-manager-periods",
    "/v1/case-manager-periods/{record_id}/change",
    "/v1/case-manager-periods/{record_id}/end",
    "/v1/case-manager-periods/{record_id}",
    "/v1/case-manager-periods/search",
    "/v1/cooperation-cases",
    "/v1/cooperation-cases/{record_id}/follow-up",
    "/v1/cooperation-cases/{record_id}/links",
    "/v1/cooperation-cases/{record_id}/close",
    "/v1/cooperation-cases/{record_id}",
    "/v1/cooperation-cases/search",
    "/v1/decision-notices",
    "/v1/decision-notices/search",
    "/v1/decision-notices/{notice_id}",
    "/v1/consultations",
    "/v1/consultations/search",
    "/v1/consultations/{consultation_id}",
    "/v1/consultations/{consultation_id}/answer",
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
    referral_id = await delivered_referral(both)
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


async def test_open_endpoints_need_no_token(both: Both) -> None:
    for client in (both.kela, both.municipality):
        for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/asyncapi.yaml"):
            assert (await client.get(path)).status_code == 200, path


async def test_each_side_serves_the_bus_contract_kept_in_the_repository(both: Both) -> None:
    contracts = Path(__file__).resolve().parents[2] / "contracts"
    for client in (both.kela, both.municipality):
        document = await client.get("/asyncapi.yaml")
        assert document.headers["content-type"].startswith("application/yaml")
        assert document.text == (contracts / "asyncapi.yaml").read_text(encoding="utf-8")
        for kind in ("notice_of_need", "statement", "envelope"):
            schema = await client.get(f"/schemas/{kind}.json")
            assert schema.status_code == 200, kind
            assert schema.json() == json.loads((contracts / "schemas" / f"{kind}.json").read_text())
        unknown = await client.get("/schemas/no_such_kind.json")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"


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


async def test_without_a_token_even_a_broken_body_gets_401(both: Both) -> None:
    for client, path in ((both.kela, "/v1/referrals"), (both.municipality, "/v1/statements")):
        response = await client.post(
            path, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401, response.text
        assert response.json()["errors"][0]["rule"] == "auth.token_missing"
