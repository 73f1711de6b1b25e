"""End-to-end harness: both services as real processes, on the session's RabbitMQ vhost.

`python -m kela_side` and `python -m municipality_side` run as subprocesses on free ports,
with their own databases (SQLite in ``tmp_path``, or two fresh PostgreSQL databases), their
own queue names and their output captured to files. Tests talk to them only as their users
do: over HTTP, and over the bus where a test plays a misbehaving or repeating sender.

Helpers live here (not in an importable module) because pytest runs with
``--import-mode=importlib``; they reach the tests as fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import asyncpg
import httpx
import pytest
from silta_platform.auth import KELA_AUDIENCE, MUNICIPALITY_AUDIENCE
from silta_platform.authorisation import COUNTY_ROLES, KELA_ROLES
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples
from silta_schemas.identity import control_character
from silta_schemas.routing import COUNTY_CODES

from tests import signing

POSTGRES_DSN = os.environ.get("SILTA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

DEADLINE = 15.0
"""How long a message may take to cross the bridge and be acknowledged."""
START_DEADLINE = 30.0
"""How long a service may take to migrate, start and reach the broker."""
STOP_TIMEOUT = 10.0
"""SIGTERM, then this long before SIGKILL."""

IDENTITY_CODE = examples.EXAMPLE_IDENTITY_CODE
COUNTY = "11"
"""The examples' municipality 405 (Lappeenranta) routes to county 11 (Etelä-Karjala)."""
COUNTY_ORG = f"county-{COUNTY}"
KELA_EXCHANGE = "silta.kela"

T = TypeVar("T")


# --------------------------------------------------------------------------- request bodies


PERSON_NAMES = frozenset(
    {
        examples.NOTICE_OF_NEED_EXAMPLE["kela_contact"]["name"],
        examples.NOTICE_OF_NEED_EXAMPLE["basis"]["recorded_by"],
        examples.STATEMENT_REQUEST_EXAMPLE["author"]["name"],
        examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE["person_name"],
        "Sanna Sosiaalityöntekijä",
        "Pekka Sosiaaliohjaaja",
    }
)
"""Names of people in the bodies the tests send: never in a log line either."""

ISSUED_IDENTITY_CODES: list[str] = []
"""Every client identity code a test body used: the log scan looks for all of them."""


def new_identity_code() -> str:
    """A valid identity code for a client no other body in this run has used."""
    serial = 2 + len(ISSUED_IDENTITY_CODES)  # individual numbers 002-899
    digits = f"010180{serial:03d}"
    code = f"010180-{serial:03d}{control_character(digits)}"
    ISSUED_IDENTITY_CODES.append(code)
    return code


def notice_of_need(**changes: Any) -> dict[str, Any]:
    """The notice-of-need example about a client of its own (duplicates are refused),
    with top-level ``changes`` applied."""
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    body["client"]["identity_code"] = new_identity_code()
    body.update(changes)
    return body


def basic_amount_reduction(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(examples.BASIC_AMOUNT_REDUCTION_EXAMPLE)
    body.update(changes)
    return body


def application_transfer(**changes: Any) -> dict[str, Any]:
    """The application-transfer example about a client of its own, ``changes`` applied."""
    body = copy.deepcopy(examples.APPLICATION_TRANSFER_EXAMPLE)
    body["client"]["identity_code"] = new_identity_code()
    body.update(changes)
    return body


def child_welfare_notice(**changes: Any) -> dict[str, Any]:
    """A notice of need without consent, because a child's interest requires it (CWA §25)."""
    return notice_of_need(
        basis={
            "type": "legal_exception",
            "ground": "child_interest",
            "justification": "A child in the family needs protection; consent cannot wait.",
        },
        **changes,
    )


def statement(**changes: Any) -> dict[str, Any]:
    """The statement request example about a client of its own, ``changes`` applied."""
    body = copy.deepcopy(examples.STATEMENT_REQUEST_EXAMPLE)
    body["client"]["identity_code"] = new_identity_code()
    body.update(changes)
    return body


def wrong_control_character(code: str = IDENTITY_CODE) -> str:
    """``code`` with another (wrong) control character: same shape, invalid checksum."""
    return code[:-1] + ("A" if code[-1] != "A" else "B")


# --------------------------------------------------------------------------- polling


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = DEADLINE, interval: float = 0.1
) -> T:
    """Call ``check`` until it returns without an AssertionError, or re-raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(interval)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServiceProcess:
    """One service running as ``python -m <module>``, stdout and stderr in ``log_path``."""

    name: str
    module: str
    env_prefix: str
    settings: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    exit_code: int | None = None
    killed: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def queue_name(self) -> str:
        return self.settings["QUEUE_NAME"]

    def start(self) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("KELA_SIDE_", "MUNICIPALITY_SIDE_"))
        }
        env["PYTHONUNBUFFERED"] = "1"
        env[f"{self.env_prefix}PORT"] = str(self.port)
        env.update({self.env_prefix + key: value for key, value in self.settings.items()})
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def stop(self) -> int | None:
        """SIGTERM; SIGKILL if it has not exited after ``STOP_TIMEOUT``. Returns the exit code."""
        process = self.process
        if process is None:
            return self.exit_code
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.killed = True
                process.kill()
                await asyncio.to_thread(process.wait)
        self.exit_code = process.returncode
        self.process = None
        return self.exit_code

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_text().splitlines()[-lines:])


# --------------------------------------------------------------------------- the bus


class Bus:
    """The test's own connection to the session vhost: publish like a sender, read queues."""

    def __init__(self, connection: aio_pika.abc.AbstractConnection) -> None:
        self.connection = connection

    async def publish(
        self,
        body: bytes,
        *,
        routing_key: str,
        message_id: str | None = None,
        exchange: str = KELA_EXCHANGE,
        kind: str | None = None,
        signed: bool = True,
    ) -> None:
        """Publish persistently with publisher confirms; ``mandatory`` so an unroutable
        message fails the test instead of vanishing. Signed as the envelope's sender (a
        peer holding that organisation's test key) unless ``signed`` is false."""
        async with self.connection.channel(publisher_confirms=True) as channel:
            target = await channel.get_exchange(exchange, ensure=True)
            await target.publish(
                aio_pika.Message(
                    body,
                    headers=signing.sign_headers(body) if signed else None,
                    message_id=message_id or str(uuid.uuid4()),
                    type=kind,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
                mandatory=True,
                timeout=10,
            )

    async def message_count(self, queue_name: str) -> int:
        async with self.connection.channel() as channel:
            queue = await channel.declare_queue(queue_name, passive=True)
            count = queue.declaration_result.message_count
            return int(count or 0)

    async def consumer_count(self, queue_name: str) -> int:
        """Consumers on ``queue_name``; 0 also while it does not exist yet."""
        try:
            async with self.connection.channel() as channel:
                queue = await channel.declare_queue(queue_name, passive=True)
                return int(queue.declaration_result.consumer_count or 0)
        except aio_pika.exceptions.ChannelClosed:  # NOT_FOUND closes the channel
            return 0

    async def take(
        self, queue_name: str, count: int, *, timeout: float = DEADLINE
    ) -> list[aio_pika.abc.AbstractIncomingMessage]:
        """Take (and acknowledge) ``count`` messages from ``queue_name`` as they arrive."""
        taken: list[aio_pika.abc.AbstractIncomingMessage] = []
        async with self.connection.channel() as channel:
            queue = await channel.declare_queue(queue_name, passive=True)

            async def enough() -> None:
                while len(taken) < count:
                    message = await queue.get(no_ack=True, fail=False)
                    if message is None:
                        break
                    taken.append(message)
                assert len(taken) >= count, (
                    f"{queue_name}: {len(taken)} of {count} expected messages"
                )

            await eventually(enough, timeout=timeout)
        return taken

    async def delete_queues(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(Exception):
                async with self.connection.channel() as channel:
                    await channel.queue_delete(name)


@pytest.fixture
async def bus(amqp_url: str) -> AsyncIterator[Bus]:
    connection = await aio_pika.connect(amqp_url)
    try:
        yield Bus(connection)
    finally:
        await connection.close()


# --------------------------------------------------------------------------- both services


@dataclass
class Silta:
    """Both services running, with an HTTP client for each."""

    kela: ServiceProcess
    municipality: ServiceProcess
    kela_http: httpx.AsyncClient
    municipality_http: httpx.AsyncClient
    issuer: DevIssuer | None = None
    """The development issuer both services trust in this run."""

    @property
    def processes(self) -> tuple[ServiceProcess, ServiceProcess]:
        return (self.kela, self.municipality)

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

    def logs(self) -> dict[str, str]:
        return {process.name: process.log_text() for process in self.processes}

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

    async def restart(self, process: ServiceProcess) -> None:
        """Start a stopped service again (same port, database and queue); wait until ready."""
        assert not process.running(), f"{process.name} is still running"
        http = self.kela_http if process is self.kela else self.municipality_http
        process.start()
        connection = await aio_pika.connect(process.settings["AMQP_URL"])
        try:
            await _wait_ready(process, http, Bus(connection))
        finally:
            await connection.close()

    async def stop(self) -> dict[str, int | None]:
        """Stop both processes (SIGTERM) as an orchestrator would; return exit codes."""
        codes = await asyncio.gather(*(process.stop() for process in self.processes))
        return {process.name: code for process, code in zip(self.processes, codes, strict=True)}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _wait_ready(process: ServiceProcess, client: httpx.AsyncClient, bus: Bus) -> None:
    async def ready() -> None:
        assert process.running(), (
            f"{process.name} exited with {process.process and process.process.returncode}:\n"
            f"{process.log_tail()}"
        )
        try:
            response = await client.get("/readyz")
        except httpx.TransportError as error:
            raise AssertionError(f"{process.name} not listening yet: {error}") from None
        assert response.status_code == 200, response.text
        # Ready also means consuming: a notice sent now must find the county's queue bound.
        assert await bus.consumer_count(process.queue_name) >= 1, "not consuming yet"

    try:
        await eventually(ready, timeout=START_DEADLINE, interval=0.2)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- {process.name} log ---\n{process.log_tail()}") from None


@contextlib.asynccontextmanager
async def running_silta(
    directory: Path,
    amqp_url: str,
    *,
    kela_database_url: str,
    municipality_database_url: str,
    counties: str = "",
    log_level: str = "INFO",
) -> AsyncIterator[Silta]:
    """Start both services, wait until both are ready, stop them (SIGTERM) afterwards.

    Each run has its own development issuer; the HTTP clients carry a token with every role
    of their side (the permission matrix is tested in-process, one role at a time)."""
    directory.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:8]
    issuer = DevIssuer.ensure(directory / "auth")
    served = [code.strip() for code in counties.split(",") if code.strip()] or sorted(COUNTY_CODES)
    kela_token = issuer.mint(roles=sorted(KELA_ROLES), org="kela", audience=KELA_AUDIENCE)
    municipality_token = issuer.mint(
        roles=sorted(COUNTY_ROLES),
        org=f"county-{served[0]}",
        counties=served,
        audience=MUNICIPALITY_AUDIENCE,
    )
    kela = ServiceProcess(
        name="kela-side",
        module="kela_side",
        env_prefix="KELA_SIDE_",
        settings={
            "DATABASE_URL": kela_database_url,
            "AMQP_URL": amqp_url,
            "QUEUE_NAME": f"e2e-{run}.kela-side.inbox",
            **signing.side_settings("kela"),
            "ACCESS_LOG": "true",
            "LOG_LEVEL": log_level,
            "AUTH_JWKS": str(issuer.jwks_path),
        },
        log_path=directory / "kela-side.log",
    )
    municipality = ServiceProcess(
        name="municipality-side",
        module="municipality_side",
        env_prefix="MUNICIPALITY_SIDE_",
        settings={
            "DATABASE_URL": municipality_database_url,
            "AMQP_URL": amqp_url,
            "QUEUE_NAME": f"e2e-{run}.municipality-side.inbox",
            **signing.side_settings("municipality"),
            "CHILD_WELFARE_QUEUE_NAME": f"e2e-{run}.municipality-side.child-welfare",
            "ACCESS_LOG": "true",
            "COUNTIES": counties,
            "LOG_LEVEL": log_level,
            "AUTH_JWKS": str(issuer.jwks_path),
        },
        log_path=directory / "municipality-side.log",
    )
    connection = await aio_pika.connect(amqp_url)
    bus = Bus(connection)
    clients: list[httpx.AsyncClient] = []
    try:
        for process in (kela, municipality):
            process.start()
        kela_http = httpx.AsyncClient(
            base_url=kela.base_url, timeout=10, headers=_bearer(kela_token)
        )
        municipality_http = httpx.AsyncClient(
            base_url=municipality.base_url, timeout=10, headers=_bearer(municipality_token)
        )
        clients += [kela_http, municipality_http]
        await asyncio.gather(
            _wait_ready(kela, kela_http, bus), _wait_ready(municipality, municipality_http, bus)
        )
        yield Silta(kela, municipality, kela_http, municipality_http, issuer)
    finally:
        for client in clients:
            await client.aclose()
        await asyncio.gather(kela.stop(), municipality.stop())
        for process in (kela, municipality):
            # Shown by pytest only when the test fails.
            print(f"--- {process.name} ({process.log_path}), last lines ---")
            print(process.log_tail())
        queues = [
            kela.queue_name,
            municipality.queue_name,
            municipality.settings["CHILD_WELFARE_QUEUE_NAME"],
        ]
        await bus.delete_queues([*queues, *(f"{name}.parked" for name in queues)])
        await connection.close()


@contextlib.asynccontextmanager
async def postgres_databases(count: int) -> AsyncIterator[list[str]]:
    """``count`` new, empty PostgreSQL databases (asyncpg URLs), dropped afterwards."""
    names = [f"silta_e2e_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    admin = await asyncpg.connect(POSTGRES_DSN)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield [f"{base}/{name}" for name in names]
    finally:
        admin = await asyncpg.connect(POSTGRES_DSN)
        try:
            for name in names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def _sqlite(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def silta(tmp_path: Path, amqp_url: str) -> AsyncIterator[Silta]:
    """Both services on SQLite databases in ``tmp_path``."""
    async with running_silta(
        tmp_path / "run",
        amqp_url,
        kela_database_url=_sqlite(tmp_path / "kela.db"),
        municipality_database_url=_sqlite(tmp_path / "municipality.db"),
    ) as running:
        yield running


@pytest.fixture
def start_silta(
    tmp_path: Path, amqp_url: str
) -> Callable[..., contextlib.AbstractAsyncContextManager[Silta]]:
    """``async with start_silta(log_level=..., counties=...) as silta``: both services on
    fresh SQLite databases, with settings a test chooses."""
    runs = iter(range(1_000))

    def start(**settings: Any) -> contextlib.AbstractAsyncContextManager[Silta]:
        directory = tmp_path / f"custom-{next(runs)}"
        return running_silta(
            directory,
            amqp_url,
            kela_database_url=_sqlite(directory / "kela.db"),
            municipality_database_url=_sqlite(directory / "municipality.db"),
            **settings,
        )

    return start


@pytest.fixture
async def silta_on_postgres(tmp_path: Path, amqp_url: str) -> AsyncIterator[Silta]:
    """Both services on PostgreSQL, each with a fresh database of its own."""
    async with (
        postgres_databases(2) as (kela_url, municipality_url),
        running_silta(
            tmp_path / "run",
            amqp_url,
            kela_database_url=kela_url,
            municipality_database_url=municipality_url,
        ) as running,
    ):
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_silta(request: pytest.FixtureRequest) -> Silta:
    """Each test using this runs on SQLite and on PostgreSQL."""
    name = "silta" if request.param == "sqlite" else "silta_on_postgres"
    running: Silta = request.getfixturevalue(name)
    return running


# --------------------------------------------------------------------------- for the tests
# Test modules cannot import this file (--import-mode=importlib): they get helpers as fixtures.


@dataclass(frozen=True)
class Bodies:
    """Fresh, mutable copies of the shared example request bodies."""

    identity_code: str = IDENTITY_CODE
    county: str = COUNTY
    county_org: str = COUNTY_ORG

    def notice_of_need(self, **changes: Any) -> dict[str, Any]:
        return notice_of_need(**changes)

    def basic_amount_reduction(self, **changes: Any) -> dict[str, Any]:
        return basic_amount_reduction(**changes)

    def wrong_control_character(self, code: str = IDENTITY_CODE) -> str:
        return wrong_control_character(code)

    def statement(self, **changes: Any) -> dict[str, Any]:
        return statement(**changes)

    def new_identity_code(self) -> str:
        return new_identity_code()

    def issued_identity_codes(self) -> list[str]:
        return list(ISSUED_IDENTITY_CODES)

    def application_transfer(self, **changes: Any) -> dict[str, Any]:
        return application_transfer(**changes)

    def child_welfare_notice(self, **changes: Any) -> dict[str, Any]:
        return child_welfare_notice(**changes)


@pytest.fixture
def bodies() -> Bodies:
    return Bodies()


@pytest.fixture(name="eventually")
def eventually_fixture() -> Callable[..., Awaitable[Any]]:
    """``await eventually(check, timeout=...)``: poll an async assertion until it holds."""
    return eventually


@pytest.fixture
def rabbitmq_app() -> Iterator[Callable[[str], None]]:
    """``rabbitmqctl stop_app`` / ``start_app`` for a test; the broker is always running again
    afterwards, whatever happened."""

    def ctl(*args: str, timeout: float = 120) -> None:
        subprocess.run(
            ["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=timeout
        )

    def control(action: str) -> None:
        if action == "stop":
            ctl("stop_app")
        elif action == "start":
            ctl("start_app")
            ctl("await_startup")
        else:
            raise ValueError(action)

    try:
        yield control
    finally:
        try:
            ctl("start_app")
        finally:
            ctl("await_startup")
