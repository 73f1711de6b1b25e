"""Silta as its users reach it in the end-to-end tests: both services as real processes
(:mod:`silta_harness`), an HTTP client per side with a token for every role of the side, and
the calls the tests make through them."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from silta_harness.process import ServiceProcess
from silta_harness.sides import (
    KELA_SIDE,
    MUNICIPALITY_SIDE,
    Side,
    dev_issuer,
    without_side_settings,
)
from silta_harness.system import System
from silta_messaging.failover import broker_urls, connect_failover
from silta_platform.auth import KELA_AUDIENCE, MUNICIPALITY_AUDIENCE
from silta_platform.authorisation import COUNTY_ROLES, KELA_ROLES
from silta_platform.dev_tokens import DevIssuer
from silta_schemas.routing import COUNTY_CODES

from tests import signing
from tests.e2e.bodies import IDENTITY_CODE, ISSUED_IDENTITY_CODES, PERSON_NAMES
from tests.e2e.bus import Bus
from tests.e2e.polling import DEADLINE, eventually


@dataclass
class Silta(System):
    """Both services running, with an HTTP client for each."""

    kela_http: httpx.AsyncClient
    municipality_http: httpx.AsyncClient
    issuer: DevIssuer
    """The development issuer both services trust in this run."""

    async def send(
        self, body: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Kela's case system sends a referral; it must be taken (201, status sent)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = await self.kela_http.post("/v1/referrals", json=body, headers=headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert created["status"] == "sent"
        return created

    async def kela_view(self, referral_id: str) -> dict[str, Any]:
        response = await self.kela_http.get(f"/v1/referrals/{referral_id}")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    async def municipality_view(self, referral_id: str) -> dict[str, Any]:
        response = await self.municipality_http.get(f"/v1/referrals/{referral_id}")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    async def inbox(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.municipality_http.get("/v1/referrals", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def kela_list(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.kela_http.get("/v1/referrals", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def wait_kela_status(
        self, referral_id: str, status: str, *, timeout: float = DEADLINE
    ) -> dict[str, Any]:
        """Kela's view once its current status is ``status``."""

        async def check() -> dict[str, Any]:
            view = await self.kela_view(referral_id)
            assert view["status"] == status, f"Kela shows {view['status']}, waiting for {status}"
            return view

        return await eventually(check, timeout=timeout)

    async def wait_delivered(self, referral_id: str, *, timeout: float = DEADLINE) -> None:
        """Until the county has the referral and Kela knows it was delivered."""

        async def in_inbox() -> None:
            ids = {item["id"] for item in await self.inbox()}
            assert referral_id in ids, "not in the municipality inbox yet"

        await eventually(in_inbox, timeout=timeout)
        await self.wait_kela_status(referral_id, "delivered", timeout=timeout)

    async def send_and_deliver(self, body: dict[str, Any]) -> str:
        """Send a referral and wait until Kela sees it delivered; return its id.

        Also a barrier: the county's queue is FIFO, so anything published onto it before
        this referral has been consumed once this returns."""
        referral_id: str = (await self.send(body))["id"]
        await self.wait_delivered(referral_id)
        return referral_id

    async def set_status(self, referral_id: str, update: dict[str, Any]) -> httpx.Response:
        return await self.municipality_http.post(f"/v1/referrals/{referral_id}/status", json=update)

    async def advance(self, referral_id: str, *updates: dict[str, Any]) -> None:
        """The county moves the referral on, one status change at a time; each is taken."""
        for update in updates:
            response = await self.set_status(referral_id, update)
            assert response.status_code == 200, response.text

    async def add_directory_entry(self, entry: dict[str, Any]) -> str:
        """The county's unit lead adds ``entry`` to its directory part; returns its id."""
        entry_id = str(uuid.uuid4())
        put = await self.municipality_http.put(f"/v1/directory/entries/{entry_id}", json=entry)
        assert put.status_code == 201, put.text
        return entry_id

    def user(self, role: str, *, subject: str, county: str | None = None) -> dict[str, str]:
        """The ``Authorization`` header of one person (``subject``) in one ``role``: a Kela
        user, or given ``county`` a user of that county serving it alone. The sides' own
        clients carry every role; a test that reads the access log acts as named users, so
        it can tell whose reads it finds."""
        if county is None:
            token = self.issuer.mint(
                roles=[role], org="kela", audience=KELA_AUDIENCE, subject=subject
            )
        else:
            token = self.issuer.mint(
                roles=[role],
                org=f"county-{county}",
                counties=[county],
                audience=MUNICIPALITY_AUDIENCE,
                subject=subject,
            )
        return {"Authorization": f"Bearer {token}"}

    def logs(self) -> dict[str, str]:
        return {process.name: process.log_text() for process in self.processes}

    def log_events(self) -> dict[str, str]:
        """Each process's log events (its JSON lines' ``event``), one a line."""
        return {name: events_of(text) for name, text in self.logs().items()}

    def assert_no_identity_code_in_logs(self, *codes: str) -> None:
        """No captured line of either process holds an identity code in clear, nor a name
        from the bodies the tests send (any case)."""
        needles = {IDENTITY_CODE, *ISSUED_IDENTITY_CODES, *codes, *PERSON_NAMES}
        for name, text in self.logs().items():
            assert text.strip(), f"{name} wrote no log at all"
            for number, line in enumerate(text.splitlines(), 1):
                for needle in needles:
                    assert needle.lower() not in line.lower(), (
                        f"{name} log line {number} holds an identity code or a name in clear"
                    )


def events_of(text: str) -> str:
    """The ``event`` of every JSON log line in ``text``, one a line (others as they are)."""
    events = []
    for line in text.splitlines():
        try:
            events.append(str(json.loads(line)["event"]))
        except (ValueError, KeyError, TypeError):
            events.append(line)
    return "\n".join(events)


def _client(process: ServiceProcess, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=process.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )


@contextlib.asynccontextmanager
async def running_silta(
    directory: Path,
    amqp_url: str,
    *,
    kela_database_url: str,
    municipality_database_url: str,
    counties: str = "",
    log_level: str = "INFO",
    municipality_amqp_url: str = "",
) -> AsyncIterator[Silta]:
    """Start both services, wait until both are ready, stop them (SIGTERM) afterwards.

    Both use ``amqp_url``; or, given ``municipality_amqp_url``, the county side its own
    broker (each authority on its own broker, linked by shovels).

    Each run has its own development issuer and queue names; the HTTP clients carry a token
    with every role of their side (the permission matrix is tested in-process, one role at
    a time)."""
    directory.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:8]
    issuer = dev_issuer(directory / "auth")
    served = [code.strip() for code in counties.split(",") if code.strip()] or sorted(COUNTY_CODES)
    inherited = without_side_settings(os.environ)

    def process(side: Side, database_url: str, **settings: str) -> ServiceProcess:
        return ServiceProcess(
            side,
            {
                "DATABASE_URL": database_url,
                "AMQP_URL": amqp_url,
                "QUEUE_NAME": f"e2e-{run}.{side.name}.inbox",
                **signing.side_settings(side.signing_side),
                "ACCESS_LOG": "true",
                "LOG_LEVEL": log_level,
                "AUTH_JWKS": str(issuer.jwks_path),
                **settings,
            },
            log_path=directory / f"{side.name}.log",
            inherited=inherited,
        )

    kela = process(KELA_SIDE, kela_database_url)
    municipality = process(
        MUNICIPALITY_SIDE,
        municipality_database_url,
        CHILD_WELFARE_QUEUE_NAME=f"e2e-{run}.municipality-side.child-welfare",
        COUNTIES=counties,
        AMQP_URL=municipality_amqp_url or amqp_url,
    )
    kela_token = issuer.mint(roles=sorted(KELA_ROLES), org="kela", audience=KELA_AUDIENCE)
    municipality_token = issuer.mint(
        roles=sorted(COUNTY_ROLES),
        org=f"county-{served[0]}",
        counties=served,
        audience=MUNICIPALITY_AUDIENCE,
    )
    silta = Silta(
        kela,
        municipality,
        _client(kela, kela_token),
        _client(municipality, municipality_token),
        issuer,
    )
    try:
        silta.start()
        await silta.wait_ready(consuming=True)
        yield silta
    finally:
        for client in (silta.kela_http, silta.municipality_http):
            await client.aclose()
        await silta.stop()
        for service in silta.processes:
            # Shown by pytest only when the test fails.
            print(f"--- {service.name} ({service.log_path}), last lines ---")
            print(service.log_tail())
        for service, queues in (
            (kela, [kela.queue_name]),
            (
                municipality,
                [municipality.queue_name, municipality.settings["CHILD_WELFARE_QUEUE_NAME"]],
            ),
        ):
            connection = await connect_failover(broker_urls(service.settings["AMQP_URL"]))
            try:
                await Bus(connection).delete_queues(
                    [*queues, *(f"{name}.parked" for name in queues)]
                )
            finally:
                await connection.close()
