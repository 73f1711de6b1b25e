"""The local runner: ``infra/run.py`` supervising child processes, and ``make run``.

The supervisor tests use small fake services, so they need neither RabbitMQ nor
the real entrypoints; the last test runs the real ``make run`` once the service
entrypoints exist.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from silta_harness import free_port

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
RUN_PY = ROOT / "infra" / "run.py"

FAKE_SERVICE = textwrap.dedent(
    """
    import pathlib, signal, sys, time

    name, mode, marker = sys.argv[1:4]

    def on_term(signum, frame):
        pathlib.Path(marker).write_text("SIGTERM")
        print(f"{name} got SIGTERM")
        sys.exit(0)

    signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "ignore-term" else on_term)
    print(f"{name} up")
    if mode == "crash":
        time.sleep(0.5)
        print(f"{name} crashing", file=sys.stderr)
        sys.exit(3)
    while True:
        time.sleep(0.05)
    """
)

# Loads infra/run.py by path and supervises the fake services given as JSON.
DRIVER = textwrap.dedent(
    """
    import importlib.util, json, sys

    spec = importlib.util.spec_from_file_location("silta_run", sys.argv[1])
    run = importlib.util.module_from_spec(spec)
    sys.modules["silta_run"] = run
    spec.loader.exec_module(run)
    services = [run.Service(name=n, argv=a) for n, a in json.loads(sys.argv[2])]
    sys.exit(run.supervise(services, stop_timeout=float(sys.argv[3])))
    """
)


def load_run_module() -> ModuleType:
    return load_script(RUN_PY, "silta_run_under_test")


class Supervisor:
    """``infra/run.py`` running fake services in a subprocess of its own session."""

    def __init__(self, tmp_path: Path, modes: dict[str, str], stop_timeout: float = 10.0) -> None:
        child = tmp_path / "fake_service.py"
        child.write_text(FAKE_SERVICE)
        driver = tmp_path / "driver.py"
        driver.write_text(DRIVER)
        self.markers = {name: tmp_path / f"{name}.stopped" for name in modes}
        specs = [
            (name, [sys.executable, str(child), name, mode, str(self.markers[name])])
            for name, mode in modes.items()
        ]
        self.proc = subprocess.Popen(
            [sys.executable, str(driver), str(RUN_PY), json.dumps(specs), str(stop_timeout)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no line containing {text!r} in:\n" + "\n".join(self.lines))
            try:
                self.lines.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                continue

    def finish(self, timeout: float = 20.0) -> int:
        code = self.proc.wait(timeout)
        time.sleep(0.1)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.kill()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_both_services_and_exits_zero(
    tmp_path: Path, supervisors: list[Supervisor], signum: signal.Signals
) -> None:
    sup = Supervisor(tmp_path, {"alpha": "run", "beta": "run"})
    supervisors.append(sup)
    sup.wait_for("[alpha] alpha up")
    sup.wait_for("[beta] beta up")

    # Like Ctrl-C in a terminal: the signal goes to the whole foreground group.
    os.killpg(sup.proc.pid, signum)

    assert sup.finish() == 0, sup.output
    assert sup.markers["alpha"].read_text() == "SIGTERM"
    assert sup.markers["beta"].read_text() == "SIGTERM"
    assert "[alpha] alpha got SIGTERM" in sup.output
    assert "[run] all services stopped" in sup.output


def test_unexpected_exit_stops_the_other_and_fails(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    sup = Supervisor(tmp_path, {"alpha": "crash", "beta": "run"})
    supervisors.append(sup)

    assert sup.finish() == 3, sup.output
    assert "[alpha] alpha crashing" in sup.output
    assert "alpha exited unexpectedly (exit code 3)" in sup.output
    assert sup.markers["beta"].read_text() == "SIGTERM"
    assert not sup.markers["alpha"].exists()


def test_service_ignoring_sigterm_is_killed_after_timeout(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    sup = Supervisor(tmp_path, {"alpha": "ignore-term", "beta": "run"}, stop_timeout=1.0)
    supervisors.append(sup)
    sup.wait_for("[alpha] alpha up")
    sup.wait_for("[beta] beta up")

    started = time.monotonic()
    os.killpg(sup.proc.pid, signal.SIGINT)

    assert sup.finish() == 0, sup.output
    assert time.monotonic() - started < 8
    assert "alpha did not stop; killing it" in sup.output
    assert sup.markers["beta"].read_text() == "SIGTERM"


def test_default_services_follow_the_service_settings() -> None:
    run = load_run_module()
    services = run.default_services(
        {
            "KELA_SIDE_HOST": "0.0.0.0",
            "KELA_SIDE_PORT": "9101",
            "KELA_SIDE_AMQP_URL": "amqp://kela:secret@broker:5672/",
            "MUNICIPALITY_SIDE_DATABASE_URL": "postgresql+asyncpg://m:pw@db:5432/m",
            "MUNICIPALITY_SIDE_COUNTIES": "01,02",
            "MUNICIPALITY_SIDE_LOG_FORMAT": "json",
        }
    )
    kela, municipality = services
    # readable lines in the terminal, unless a side's LOG_FORMAT says otherwise
    assert kela.env == {"KELA_SIDE_LOG_FORMAT": "console"}
    assert municipality.env == {"MUNICIPALITY_SIDE_LOG_FORMAT": "json"}
    assert kela.argv[1:] == ("-m", "kela_side")
    assert municipality.argv[1:] == ("-m", "municipality_side")
    assert kela.health_url == "http://127.0.0.1:9101/healthz"
    assert municipality.health_url == "http://127.0.0.1:8002/healthz"
    info = "\n".join([*kela.info, *municipality.info])
    assert "http://127.0.0.1:9101/docs" in info
    assert "http://127.0.0.1:8002/docs" in info
    assert str(ROOT / "var" / "kela-side.db") in info
    assert "secret" not in info
    assert "pw@" not in info
    assert "01,02" in info


# --- the real thing -------------------------------------------------------------

ENTRYPOINTS = [
    ROOT / "services" / "kela-side" / "src" / "kela_side" / "__main__.py",
    ROOT / "services" / "municipality-side" / "src" / "municipality_side" / "__main__.py",
]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.e2e
@pytest.mark.skipif(
    not all(p.exists() for p in ENTRYPOINTS), reason="service entrypoints (__main__.py) missing"
)
@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_run_serves_both_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    kela_port, municipality_port = free_port(), free_port()
    # As a developer's shell has it: none of the settings the test session gives in-process
    # services (its own issuer and signing keys); make run sets up its development ones.
    env = {
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("KELA_SIDE_", "MUNICIPALITY_SIDE_"))
        },
        "KELA_SIDE_PORT": str(kela_port),
        "MUNICIPALITY_SIDE_PORT": str(municipality_port),
        "KELA_SIDE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kela.db'}",
        "MUNICIPALITY_SIDE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}",
    }
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    urls = [
        f"http://127.0.0.1:{kela_port}/healthz",
        f"http://127.0.0.1:{municipality_port}/healthz",
    ]
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not all(healthy(url) for url in urls):
                if proc.poll() is not None:
                    pytest.fail(f"make run exited with {proc.returncode}:\n{log.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"services not healthy after 120 s:\n{log.read_text()}")
                time.sleep(0.5)
            # the development tokens it printed work; without one, the API refuses
            officer = re.search(r"token kela_benefit_officer \(kela-side\): (\S+)", log.read_text())
            assert officer is not None, log.read_text()
            referrals = f"http://127.0.0.1:{kela_port}/v1/referrals"
            with urllib.request.urlopen(
                urllib.request.Request(
                    referrals, headers={"Authorization": f"Bearer {officer.group(1)}"}
                ),
                timeout=10,
            ) as answer:
                assert answer.status == 200
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(referrals, timeout=10)
            assert refused.value.code == 401

            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    output = log.read_text()
    assert "[run] all services stopped" in output, output
    assert "exited unexpectedly" not in output, output
    assert "killing it" not in output, output
    assert "[kela-side]" in output
    assert "[municipality-side]" in output
    assert not any(healthy(url) for url in urls)
