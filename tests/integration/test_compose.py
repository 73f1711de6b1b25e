"""docker-compose.yml is valid and wires the services together as intended.

Needs only the compose CLI (``docker-compose config`` validates offline), no
Docker engine. Skipped when no compose CLI is installed, except under CI.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from silta_platform.dev_tokens import AUDIENCES

from tests.unit.infra.manifests import load_broker_users

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

APP_SERVICES = {
    # service: (env prefix, its database service, its port)
    "kela-side": ("KELA_SIDE_", "kela-db", 8001),
    "municipality-side": ("MUNICIPALITY_SIDE_", "municipality-db", 8002),
}
ALL_SERVICES = {"dev-keys", "rabbitmq", "kela-db", "municipality-db", *APP_SERVICES}
KEYS = "/run/silta-keys"
"""Where the dev-keys volume is mounted in every container."""


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


def test_has_the_six_services(config: dict[str, Any]) -> None:
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

    assert depends_on(service) == {
        "dev-keys": "service_completed_successfully",
        "rabbitmq": "service_healthy",
        db: "service_healthy",
    }

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
    amqp = urlsplit(env[f"{prefix}AMQP_URL"])
    assert (amqp.hostname, amqp.port, amqp.path) == ("rabbitmq", 5672, "/silta")
    assert amqp.username == f"silta-{name}"  # its own user, not the administrator
    assert env[f"{prefix}AMQP_DECLARE_EXCHANGES"] == "false"
    assert any(v.startswith("dev-keys:" + KEYS) and v.endswith(":ro") for v in volumes(service))
    assert env[f"{prefix}HOST"] == "0.0.0.0"
    assert str(env[f"{prefix}PORT"]) == str(port)

    published = [str(p.get("target")) if isinstance(p, dict) else str(p) for p in service["ports"]]
    assert any(p == str(port) or f":{port}" in p for p in published), published
    assert f":{port}/readyz" in " ".join(service["healthcheck"]["test"])


def volumes(service: dict[str, Any]) -> list[str]:
    """``source:target:mode`` of each mount (compose v1 prints them so, v2 as mappings)."""
    out = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mode = "ro" if volume.get("read_only") else "rw"
            volume = f"{volume['source']}:{volume['target']}:{mode}"
        out.append(volume)
    return out


def mounted(service: dict[str, Any], source: str) -> str:
    """Where ``service`` mounts ``source`` (a volume name or a host path)."""
    [target] = [v.split(":")[1] for v in volumes(service) if v.split(":")[0] == source]
    return target


@pytest.fixture(scope="module")
def dev_keys(config: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the dev-keys service's command here: its volume is a temporary directory, its
    ``./infra`` mount the repository's, ``python`` this interpreter (the image's packages)."""
    service = config["services"]["dev-keys"]
    keys = tmp_path_factory.mktemp("dev-keys")
    assert mounted(service, "dev-keys") == KEYS
    assert mounted(service, str(ROOT / "infra")) == f"{service['working_dir']}/infra"
    shell, flag, script = service["command"]
    assert (shell, flag) == ("/bin/sh", "-c")
    script = script.replace(KEYS, str(keys)).replace("python ", f"{sys.executable} ")
    env = {"PATH": os.environ["PATH"], **service["environment"]}
    result = subprocess.run(
        [shell, flag, script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return keys


def local(path: str, keys: Path) -> Path:
    assert path.startswith(KEYS + "/"), path
    return keys / path[len(KEYS) + 1 :]


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
async def test_each_service_finds_its_keys_and_trusts_the_issuer(
    config: dict[str, Any], dev_keys: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kela_side.settings import KelaSettings
    from municipality_side.settings import MunicipalitySettings
    from silta_platform.auth import Authenticator
    from silta_platform.bus_security import signer_from, verifier_from
    from silta_platform.dev_tokens import DevIssuer

    prefix = APP_SERVICES[name][0]
    env = dict(config["services"][name]["environment"])
    for key in ("SIGNING_KEY_FILE", "TRUSTED_KEYS_FILE", "AUTH_JWKS"):
        env[prefix + key] = str(local(env[prefix + key], dev_keys))
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    settings = KelaSettings() if name == "kela-side" else MunicipalitySettings()  # type: ignore[call-arg]
    signer = signer_from(settings)
    registry = json.loads(settings.trusted_keys_file.read_text())  # type: ignore[union-attr]
    assert signer.key_id == settings.signing_key_id in registry
    verifier_from(settings)  # the registry loads
    authenticator = Authenticator(settings)
    await authenticator.start()
    issuer = DevIssuer.ensure(dev_keys)
    audience = "kela" if name == "kela-side" else "municipality"
    token = issuer.mint(roles=["operations"], org="kela", audience=AUDIENCES[audience])
    assert (await authenticator.claims(token))["roles"] == ["operations"]


def test_the_broker_loads_the_definitions_the_dev_keys_service_writes(
    config: dict[str, Any], dev_keys: Path
) -> None:
    rabbitmq = config["services"]["rabbitmq"]
    assert depends_on(rabbitmq) == {"dev-keys": "service_completed_successfully"}
    conf_target = mounted(rabbitmq, str(ROOT / "infra" / "compose" / "rabbitmq.conf"))
    assert conf_target.startswith("/etc/rabbitmq/conf.d/")
    conf = (ROOT / "infra" / "compose" / "rabbitmq.conf").read_text()
    [path] = [
        line.split("=", 1)[1].strip()
        for line in conf.splitlines()
        if line.startswith("load_definitions")
    ]
    assert mounted(rabbitmq, "dev-keys") == KEYS
    definitions = json.loads(local(path, dev_keys).read_text())
    users = {user["name"]: user for user in definitions["users"]}
    permissions = {p["user"]: p for p in definitions["permissions"]}
    kela, county = load_broker_users().grants("silta-kela-side", "silta-municipality-side")
    for name, grant in (("kela-side", kela), ("municipality-side", county)):
        url = urlsplit(config["services"][name]["environment"][APP_SERVICES[name][0] + "AMQP_URL"])
        assert url.username == grant.user
        assert url.path == "/" + permissions[grant.user]["vhost"]
        assert users[grant.user]["tags"] == []
        assert checks(users[grant.user]["password_hash"], url.password or "")
        expected = {"configure": grant.configure, "write": grant.write, "read": grant.read}
        assert {k: permissions[grant.user][k] for k in expected} == expected
    assert {(e["name"], e["type"], e["durable"]) for e in definitions["exchanges"]} == {
        ("silta.kela", "topic", True), ("silta.county", "topic", True),
        ("silta.dead-letter", "direct", True),
    }  # fmt: skip
    admin = config["services"]["dev-keys"]["environment"]["SILTA_ADMIN_AMQP_USER"]
    assert users[admin]["tags"] == ["administrator"]


def checks(password_hash: str, password: str) -> bool:
    raw = base64.b64decode(password_hash)
    return raw[4:] == hashlib.sha256(raw[:4] + password.encode()).digest()
