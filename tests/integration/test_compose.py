"""docker-compose.yml is valid and wires the services together as intended.

Needs only the compose CLI (``docker-compose config`` validates offline), no
Docker engine. Skipped when no compose CLI is installed, except under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

APP_SERVICES = {
    # service: (env prefix, its database service, its port)
    "kela-side": ("KELA_SIDE_", "kela-db", 8001),
    "municipality-side": ("MUNICIPALITY_SIDE_", "municipality-db", 8002),
}
ALL_SERVICES = {"rabbitmq", "kela-db", "municipality-db", *APP_SERVICES}


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False, timeout=30
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    command = compose_command()
    if command is None:
        message = (
            "no compose CLI: install docker-compose "
            "(Debian: sudo apt-get install docker-compose) to validate docker-compose.yml"
        )
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(message + " (CI is set, so this is an error, not a skip)")
        pytest.skip(message)
    # Only the file's own defaults: no variables from the caller's environment or .env.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--project-directory", str(ROOT), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, f"compose config failed:\n{result.stderr}"
    parsed = yaml.safe_load(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def depends_on(service: dict[str, Any]) -> dict[str, str | None]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: None for name in deps}
    return {name: (spec or {}).get("condition") for name, spec in deps.items()}


def test_has_the_five_services(config: dict[str, Any]) -> None:
    assert set(config["services"]) == ALL_SERVICES


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("rabbitmq", "rabbitmq-diagnostics"),
        ("kela-db", "pg_isready"),
        ("municipality-db", "pg_isready"),
    ],
)
def test_infrastructure_has_healthchecks_and_volumes(
    config: dict[str, Any], name: str, probe: str
) -> None:
    service = config["services"][name]
    test = service["healthcheck"]["test"]
    assert probe in (test if isinstance(test, str) else " ".join(test))
    assert service.get("volumes"), f"{name} keeps its data in a volume"


def test_each_database_has_its_own_credentials(config: dict[str, Any]) -> None:
    envs = [config["services"][db]["environment"] for db in ("kela-db", "municipality-db")]
    for key in ("POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"):
        assert envs[0][key] != envs[1][key], key


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_service_wiring(config: dict[str, Any], name: str) -> None:
    prefix, db, port = APP_SERVICES[name]
    service = config["services"][name]

    assert depends_on(service) == {"rabbitmq": "service_healthy", db: "service_healthy"}

    build = service["build"]
    assert Path(build["context"]).resolve() == ROOT
    assert build["dockerfile"] == "infra/Dockerfile"
    assert build["args"]["SERVICE"] == name
    assert (ROOT / "infra" / "Dockerfile").is_file()
    assert (ROOT / "services" / name / "pyproject.toml").is_file()

    env = service["environment"]
    db_env = config["services"][db]["environment"]
    assert env[f"{prefix}DATABASE_URL"] == (
        f"postgresql+asyncpg://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}"
        f"@{db}:5432/{db_env['POSTGRES_DB']}"
    )
    rabbit_env = config["services"]["rabbitmq"]["environment"]
    assert env[f"{prefix}AMQP_URL"] == (
        f"amqp://{rabbit_env['RABBITMQ_DEFAULT_USER']}:{rabbit_env['RABBITMQ_DEFAULT_PASS']}"
        "@rabbitmq:5672/"
    )
    assert env[f"{prefix}HOST"] == "0.0.0.0"
    assert str(env[f"{prefix}PORT"]) == str(port)

    published = [str(p.get("target")) if isinstance(p, dict) else str(p) for p in service["ports"]]
    assert any(p == str(port) or f":{port}" in p for p in published), published
    assert "healthcheck" in service
