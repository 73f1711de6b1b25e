"""The HTTP edge in-process (issue 9, item 8): body size, security headers, rate limit, the
documentation's assets served by the service itself. TLS and mutual TLS against a real
process: tests/e2e/test_http_edge.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial

import httpx
import pytest
from silta_platform.auth import KELA_AUDIENCE, MUNICIPALITY_AUDIENCE
from silta_platform.dev_tokens import DevIssuer

from tests.integration.conftest import running_kela, running_municipality

MB = 1024 * 1024
PROBLEM_JSON = "application/problem+json"

Start = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def kela_with(sqlite_url: str, amqp_url: str, dev_issuer: DevIssuer) -> Start:
    """``async with kela_with(**settings) as client``: Kela's side in-process, on SQLite,
    with settings a test chooses; the client has no token."""
    return partial(running_kela, sqlite_url, amqp_url, dev_issuer, token=False)


@pytest.fixture
def municipality_with(sqlite_url: str, amqp_url: str, dev_issuer: DevIssuer) -> Start:
    """The municipality side, as ``kela_with``."""
    return partial(running_municipality, sqlite_url, amqp_url, dev_issuer, token=False)


async def test_the_municipality_side_has_the_same_edge(
    municipality_with: Start, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint(
        roles=["county_social_worker"], org="county-11", audience=MUNICIPALITY_AUDIENCE
    )
    worker = {"Authorization": f"Bearer {token}"}
    async with municipality_with(max_body_bytes=1000, rate_limit="1/minute") as client:
        body = Chunks(20 * MB)
        huge = await client.post("/v1/statements", content=body, headers=worker)
        assert_too_large(huge)
        assert body.taken <= 2 * 65536
        inbox = await client.get("/v1/referrals", headers=worker)
        assert inbox.status_code == 200, inbox.text
        assert inbox.headers["cache-control"] == "no-store"
        assert inbox.headers["x-content-type-options"] == "nosniff"
        limited = await client.get("/v1/referrals", headers=worker)
        assert limited.status_code == 429, limited.text
        assert int(limited.headers["retry-after"]) >= 1


def officer(issuer: DevIssuer, subject: str = "officer-1") -> dict[str, str]:
    token = issuer.mint(
        roles=["kela_benefit_officer"], org="kela", audience=KELA_AUDIENCE, subject=subject
    )
    return {"Authorization": f"Bearer {token}"}


class Chunks:
    """A request body of ``total`` bytes in 64 KiB chunks, counting what was taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"x" * 65536
        while self.taken < self.total:
            self.taken += len(chunk)
            yield chunk


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["status"] == 413
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("body", "body.too_large")]


async def test_a_20_mb_body_is_refused_with_413_by_its_length_without_being_read(
    kela_with: Start, dev_issuer: DevIssuer
) -> None:
    async with kela_with() as client:
        for headers in ({}, officer(dev_issuer)):  # no token, and a valid one
            body = Chunks(20 * MB)
            response = await client.post(
                "/v1/referrals",
                content=body,
                headers={**headers, "Content-Length": str(20 * MB)},
            )
            assert_too_large(response)
            assert body.taken == 0, "the body was read"


async def test_a_chunked_body_is_cut_off_past_the_limit_and_refused_with_413(
    kela_with: Start, dev_issuer: DevIssuer
) -> None:
    async with kela_with(max_body_bytes=100_000) as client:
        for headers in ({}, officer(dev_issuer)):
            body = Chunks(20 * MB)  # no Content-Length: Transfer-Encoding chunked
            response = await client.post("/v1/referrals", content=body, headers=headers)
            assert_too_large(response)
            assert response.json()["max_bytes"] == 100_000
            assert body.taken <= 3 * 65536, "read on past the limit"


async def test_a_body_within_the_limit_is_taken_as_before(
    kela_with: Start, dev_issuer: DevIssuer
) -> None:
    async with kela_with(max_body_bytes=100) as client:
        small = await client.post("/v1/referrals", json={}, headers=officer(dev_issuer))
        assert small.status_code == 422, small.text  # validated as usual: the edge let it in
        large = await client.post(
            "/v1/referrals", json={"x": "y" * 200}, headers=officer(dev_issuer)
        )
        assert_too_large(large)


async def test_every_answer_carries_the_security_headers_and_no_hsts_without_tls(
    kela_with: Start, dev_issuer: DevIssuer
) -> None:
    async with kela_with(max_body_bytes=10) as client:
        answers = [
            await client.get("/v1/referrals", headers=officer(dev_issuer)),  # personal data
            await client.get("/v1/referrals"),  # 401
            await client.post("/v1/referrals", content=b"x" * 100),  # 413
            await client.get("/healthz"),
            await client.get("/openapi.json"),
        ]
        for response in answers:
            assert response.headers["x-content-type-options"] == "nosniff", response.url
            assert response.headers["cache-control"] == "no-store", response.url
            assert "strict-transport-security" not in response.headers  # plain HTTP
        assert [r.status_code for r in answers] == [200, 401, 413, 200, 200]


async def test_a_caller_over_its_rate_limit_gets_429_with_retry_after(
    kela_with: Start, dev_issuer: DevIssuer
) -> None:
    async with kela_with(rate_limit="3/minute") as client:
        first = officer(dev_issuer, "officer-1")
        for _ in range(3):
            assert (await client.get("/v1/referrals", headers=first)).status_code == 200
        refused = await client.get("/v1/referrals", headers=first)
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["errors"][0]["rule"] == "rate.limit_exceeded"
        # POST with an invalid body: still limited (FastAPI parses before dependencies)
        invalid = await client.post("/v1/referrals", content=b"{", headers=first)
        assert invalid.status_code == 429, invalid.text

        # another caller has a budget of its own
        second = officer(dev_issuer, "officer-2")
        assert (await client.get("/v1/referrals", headers=second)).status_code == 200

        # a caller without a valid token counts against its address: 401, then 429
        statuses = [(await client.get("/v1/referrals")).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]


ASSET = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_documentation_uses_only_assets_the_service_serves_itself(
    kela_with: Start, page: str
) -> None:
    async with kela_with() as client:
        html = await client.get(page)
        assert html.status_code == 200
        references = [a or b for a, b in ASSET.findall(html.text)]
        assert references, "no asset found in the page"
        assert "//" not in html.text.replace("://", ""), "a protocol-relative reference"
        assert not re.search(r"https?://", html.text), "an absolute URL (a CDN?)"
        for reference in references:
            assert reference.startswith("/"), reference
            asset = await client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.content, reference
        kinds = {r.rsplit(".", 1)[-1] for r in references}
        assert "js" in kinds
