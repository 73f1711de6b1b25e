"""The HTTP edge of a real service process over HTTPS with mutual TLS (issue 9, item 8):
certificates made in the test, a client without one refused, the token bound to the client
certificate's organisation, HSTS, and a 20 MB body refused before it is read."""

from __future__ import annotations

import asyncio
import os
import ssl
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aio_pika
import httpx
import pytest
from silta_harness import sqlite_url
from silta_harness.process import ServiceProcess
from silta_harness.sides import KELA_SIDE, dev_issuer, without_side_settings
from silta_platform.auth import KELA_AUDIENCE
from silta_platform.dev_tokens import DevIssuer

from tests import signing
from tests.e2e.bus import Bus
from tests.pki import Authority, Issued

pytestmark = pytest.mark.e2e

MB = 1024 * 1024
QUICKLY_S = 5.0


@dataclass
class Served:
    process: ServiceProcess
    issuer: DevIssuer
    servers: Authority
    """The CA of the service's own certificate (what its clients trust)."""
    kela_system: Issued
    county_system: Issued
    outsider: Issued
    """A client certificate from a CA the service does not trust."""

    def context(self, client: Issued | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.servers.file))
        if client is not None:
            context.load_cert_chain(client.certificate, client.key)
        return context

    def client(self, certificate: Issued | None, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(
            base_url=self.process.base_url,
            verify=self.context(certificate),
            headers=headers,
            timeout=QUICKLY_S * 2,
        )

    def officer_token(self) -> str:
        return self.issuer.mint(roles=["kela_benefit_officer"], org="kela", audience=KELA_AUDIENCE)


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory, amqp_url: str) -> AsyncIterator[Served]:
    """Kela's side as a process over HTTPS, requiring client certificates of its members' CA."""
    directory = tmp_path_factory.mktemp("edge")
    servers = Authority(directory / "pki", "silta-servers")
    members = Authority(directory / "pki", "silta-members")
    server = servers.issue("kela-side", server=True)
    queue = f"e2e-edge-{uuid.uuid4().hex[:8]}.kela-side.inbox"
    issuer = dev_issuer(directory / "auth")
    process = ServiceProcess(
        KELA_SIDE,
        {
            "DATABASE_URL": sqlite_url(directory / "kela.db"),
            "AMQP_URL": amqp_url,
            "QUEUE_NAME": queue,
            **signing.side_settings("kela"),
            "AUTH_JWKS": str(issuer.jwks_path),
            "TLS_CERT_FILE": str(server.certificate),
            "TLS_KEY_FILE": str(server.key),
            "TLS_CLIENT_CA_FILE": str(members.file),
        },
        log_path=directory / "kela-side.log",
        inherited=without_side_settings(os.environ),
    )
    running = Served(
        process,
        issuer,
        servers,
        members.issue("kela-case-system", organisation="kela"),
        members.issue("county-11-system", organisation="county-11"),
        Authority(directory / "rogue", "rogue").issue("intruder", organisation="kela"),
    )
    process.start()
    try:
        async with running.client(running.kela_system) as probe:
            await process.wait_ready(probe, within=60)
        yield running
    finally:
        await process.stop()
        print(process.log_tail())
        connection = await aio_pika.connect(amqp_url)
        try:
            await Bus(connection).delete_queues([queue, f"{queue}.parked"])
        finally:
            await connection.close()


async def test_a_member_system_with_its_certificate_and_token_is_served_with_hsts(
    served: Served,
) -> None:
    assert served.process.base_url.startswith("https://")
    async with served.client(served.kela_system, served.officer_token()) as client:
        response = await client.get("/v1/referrals")
    assert response.status_code == 200, response.text
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("who", ["no certificate", "a certificate of an untrusted CA"])
async def test_a_client_without_a_members_certificate_is_refused_in_the_handshake(
    served: Served, who: str
) -> None:
    certificate = None if who == "no certificate" else served.outsider
    async with served.client(certificate, served.officer_token()) as client:
        with pytest.raises(httpx.TransportError):
            await client.get("/v1/referrals")


async def test_plain_http_is_not_answered(served: Served) -> None:
    plain = served.process.base_url.replace("https://", "http://")
    async with httpx.AsyncClient(timeout=QUICKLY_S) as client:
        with pytest.raises(httpx.TransportError):
            await client.get(f"{plain}/v1/referrals")


async def test_a_token_of_another_organisation_than_the_certificate_is_refused(
    served: Served,
) -> None:
    # Kela's token over county 11's connection: a leaked token is no good elsewhere.
    async with served.client(served.county_system, served.officer_token()) as client:
        response = await client.get("/v1/referrals")
    assert response.status_code == 401, response.text
    assert response.json()["rule"] == "auth.certificate_mismatch"


async def _status_line(served: Served, request: bytes, body_chunks: int = 0) -> bytes:
    """Send ``request`` over TLS and then, in the background, up to ``body_chunks`` chunked
    body frames of 64 KiB; the answer's status line."""
    port = served.process.port
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=served.context(served.kela_system), server_hostname="127.0.0.1"
    )
    writer.write(request)

    async def stream() -> None:
        frame = b"10000\r\n" + b"x" * 65536 + b"\r\n"
        for _ in range(body_chunks):
            writer.write(frame)
            await writer.drain()

    sending = asyncio.create_task(stream())
    try:
        return await asyncio.wait_for(reader.readline(), QUICKLY_S)
    finally:
        sending.cancel()
        writer.close()


async def test_a_20_mb_body_is_refused_before_it_is_sent_with_no_token(served: Served) -> None:
    # The head announces 20 MB and no byte of it follows: the answer cannot wait for it.
    head = (
        b"POST /v1/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 20971520\r\n\r\n"
    )
    assert b" 413 " in await _status_line(served, head)


async def test_a_20_mb_chunked_body_is_refused_as_it_arrives(served: Served) -> None:
    head = (
        b"POST /v1/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert b" 413 " in await _status_line(served, head, body_chunks=20 * 16)


async def test_an_http_client_sending_20_mb_gets_413_quickly(served: Served) -> None:
    async with served.client(served.kela_system) as client:
        started = time.monotonic()
        response = await client.post("/v1/referrals", content=b"x" * (20 * MB))
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["rule"] == "body.too_large"
    assert time.monotonic() - started < QUICKLY_S
