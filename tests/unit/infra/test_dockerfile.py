"""infra/Dockerfile: two stages, the runtime one non-root with only the virtualenv, and a
HEALTHCHECK that really probes the service's /healthz (run here against a local server).

No Docker engine or hadolint here: the file is parsed (instructions, continuation lines).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).resolve().parents[3] / "infra" / "Dockerfile"

Instruction = tuple[str, str]


def instructions(text: str) -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        out.append((keyword.upper(), arguments.strip()))
        pending = ""
    return out


def stages(text: str) -> dict[str, list[Instruction]]:
    result: dict[str, list[Instruction]] = {}
    current: list[Instruction] = []
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            image, _, name = arguments.partition(" AS ")
            current = result.setdefault(name.strip() or image, [])
        current.append((keyword, arguments))
    return result


STAGES = stages(DOCKERFILE.read_text("utf-8"))
BUILD, RUNTIME = STAGES["build"], STAGES["runtime"]


def of(stage: list[Instruction], keyword: str) -> list[str]:
    return [arguments for k, arguments in stage if k == keyword]


def test_two_stages_the_runtime_one_last() -> None:
    assert list(STAGES) == ["build", "runtime"]
    assert any("pip install" in run for run in of(BUILD, "RUN"))
    assert not any("pip install" in run for run in of(RUNTIME, "RUN"))


def test_the_runtime_stage_copies_only_the_virtualenv_from_the_build() -> None:
    assert of(RUNTIME, "COPY") == ["--from=build /opt/silta /opt/silta"]


def test_the_runtime_stage_runs_as_a_non_root_user() -> None:
    [user] = of(RUNTIME, "USER")
    assert user.split(":")[0] not in ("root", "0")
    assert any(f"--uid {user.split(':')[0]}" in run for run in of(RUNTIME, "RUN"))
    keys = [run for run in of(RUNTIME, "RUN") if "/run/silta-keys" in run]
    assert keys, "the keys volume's mount point exists and belongs to the user"
    assert all(RUNTIME.index(("RUN", run)) < RUNTIME.index(("USER", user)) for run in keys)


def test_cmd_execs_the_service_module() -> None:
    [cmd] = of(RUNTIME, "CMD")
    assert json.loads(cmd)[-1].startswith("exec python -m ")


def healthcheck_command() -> list[str]:
    [healthcheck] = of(RUNTIME, "HEALTHCHECK")
    options, _, command = healthcheck.partition("CMD ")
    assert "--interval=" in options
    assert "--start-period=" in options
    argv = json.loads(command)
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("service", "prefix"),
    [("kela-side", "KELA_SIDE_"), ("municipality-side", "MUNICIPALITY_SIDE_")],
)
def test_the_healthcheck_probes_the_services_port(server: int, service: str, prefix: str) -> None:
    env = {"PATH": os.environ["PATH"], "SILTA_SERVICE": service}
    command = healthcheck_command()
    healthy = subprocess.run(
        command,
        env={**env, f"{prefix}PORT": str(server)},
        timeout=30,
        check=False,
        capture_output=True,
    )
    assert healthy.returncode == 0, healthy.stderr
    other = "MUNICIPALITY_SIDE_" if prefix == "KELA_SIDE_" else "KELA_SIDE_"
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nothing = str(closed.getsockname()[1])
    ports = {f"{prefix}PORT": nothing, f"{other}PORT": str(server)}
    elsewhere = subprocess.run(
        command, env={**env, **ports}, timeout=30, check=False, capture_output=True
    )
    assert elsewhere.returncode != 0  # it probes its own port, never the other service's
