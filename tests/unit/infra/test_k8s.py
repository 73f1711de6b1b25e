"""infra/k8s: each overlay builds, every resource is valid, and it deploys what the code expects.

Offline: core kinds are validated by kubernetes-validate (strict: an unknown field fails),
the operators' kinds by their CRD schemas kept in infra/k8s/crds (made strict the same way).
Overlays are built by tests/unit/infra/kustomize_lite.py and, where kubectl is installed,
compared with ``kubectl kustomize``.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from municipality_side.settings import MunicipalitySettings
from pydantic import SecretStr

from tests.unit.infra.kustomize_lite import Resource, build
from tests.unit.infra.manifests import (
    K8S,
    OVERLAYS,
    ROOT,
    SCHEMAS,
    container,
    of_kind,
    one,
    validate,
)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_the_loader_builds_what_kubectl_kustomize_builds(
    overlay: tuple[str, list[Resource]],
) -> None:
    name, resources = overlay
    output = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / name)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout

    def key(r: Resource) -> str:
        return f"{r['kind']}/{r['metadata'].get('namespace')}/{r['metadata']['name']}"

    theirs = {key(r): r for r in yaml.safe_load_all(output) if r}
    assert {key(r): r for r in resources} == theirs


def test_every_resource_is_valid_and_namespaced(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    assert len({(r["kind"], r["metadata"]["name"]) for r in resources}) == len(resources)
    for resource in resources:
        validate(resource)
        assert resource["metadata"]["namespace"] == f"silta-{name}"
        assert resource["metadata"]["labels"]["silta.fi/authority"] == name


def test_every_operator_kind_has_its_schema(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    kinds = {(r["apiVersion"], r["kind"]) for r in resources}
    operators = {k for k in kinds if k[0].split("/")[0].endswith(("rabbitmq.com", "cnpg.io"))}
    assert operators <= set(SCHEMAS)
    assert {k for _, k in operators} >= {
        "RabbitmqCluster", "Cluster", "User", "Permission", "Policy", "Shovel"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "path", "field"),
    [
        ("Deployment", ("spec",), "replica"),
        ("Deployment", ("spec", "template", "spec", "containers", 0), "readinesProbe"),
        ("NetworkPolicy", ("spec",), "ingres"),
        ("RabbitmqCluster", ("spec",), "replica"),
        ("Cluster", ("spec",), "instance"),
        ("Shovel", ("spec",), "ackmode"),
        ("Policy", ("spec",), "applyto"),
        ("Permission", ("spec", "permissions"), "writes"),
    ],
)
def test_a_wrong_field_fails_validation(kind: str, path: tuple[Any, ...], field: str) -> None:
    resource = copy.deepcopy(of_kind(build(K8S / "overlays" / "kela"), kind)[0])
    node = resource
    for part in path:
        node = node[part]
    node[field] = 1
    with pytest.raises((jsonschema.ValidationError, kubernetes_validate.ValidationError)):
        validate(resource)


def test_a_wrong_type_fails_validation() -> None:
    cluster = copy.deepcopy(
        one(build(K8S / "overlays" / "kela"), "RabbitmqCluster", "silta-rabbitmq")
    )
    cluster["spec"]["replicas"] = "three"
    with pytest.raises(jsonschema.ValidationError):
        validate(cluster)


def test_the_api_runs_two_hardened_replicas_with_probes(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    deployment = one(resources, "Deployment", "silta-api")
    pod = deployment["spec"]["template"]["spec"]
    api = container(resources)
    assert deployment["spec"]["replicas"] == 2
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(api["resources"]["requests"])
    assert "memory" in api["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert api["securityContext"]["readOnlyRootFilesystem"] is True
    assert api["securityContext"]["allowPrivilegeEscalation"] is False
    assert api["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert not api["image"].endswith(":set-by-overlay")
    pods = deployment["spec"]["template"]["metadata"]["labels"]
    for kind in ("Service", "PodDisruptionBudget"):
        selector = one(resources, kind, "silta-api")["spec"]["selector"]
        assert (selector.get("matchLabels") or selector).items() <= pods.items()
    assert one(resources, "PodDisruptionBudget", "silta-api")["spec"]["minAvailable"] == 1


def settings_env(resources: list[Resource], secret_keys: list[str]) -> dict[str, str]:
    """What the API's environment holds: ConfigMap, Secret keys (dummy values), composed env."""
    env = dict(one(resources, "ConfigMap", "silta-api-config")["data"])
    env.update({key: "x" * 40 for key in secret_keys})
    for variable in container(resources)["env"]:
        if "value" in variable:
            env[variable["name"]] = re.sub(r"\$\((\w+)\)", "u", variable["value"])
    return env


def secret_keys(name: str) -> list[str]:
    text = (K8S / "overlays" / name / "secrets.env.example").read_text("utf-8")
    return [line.split("=")[0] for line in text.splitlines() if line and line[0] != "#"]


def test_every_setting_comes_from_the_configmap_or_a_secret(
    overlay: tuple[str, list[Resource]], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, resources = overlay
    prefix, settings_class, counties = OVERLAYS[name]
    keys = secret_keys(name)
    env = settings_env(resources, keys)
    fields = settings_class.model_fields
    assert all(key.startswith(prefix) and key[len(prefix) :].lower() in fields for key in env)
    secret = {
        f for f, info in fields.items() if info.annotation in (SecretStr, dict[str, SecretStr])
    }
    needed = {"database_url", "amqp_url", "auth_jwks", "auth_issuer", "signing_key_id",
              "signing_key", "trusted_keys", "data_key_current", "environment"}  # fmt: skip
    assert {k[len(prefix) :].lower() for k in env} >= needed | secret
    assert {k[len(prefix) :].lower() for k in keys} >= secret | {"signing_key"}
    envfrom = {s["secretRef"]["name"] for s in container(resources)["envFrom"] if "secretRef" in s}
    assert envfrom == {"silta-api-secrets"}

    data_key_id = env[f"{prefix}DATA_KEY_CURRENT"]
    env[f"{prefix}DATA_KEYS"] = json.dumps(
        {data_key_id: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="}
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = settings_class()  # type: ignore[call-arg]
    assert settings.environment == "production"
    assert settings.amqp_declare_exchanges is False
    assert settings.database_url.startswith("postgresql+asyncpg://u:u@silta-db-rw:5432/")
    assert settings.amqp_url == "amqp://u:u@silta-rabbitmq:5672/silta"
    if counties:
        assert isinstance(settings, MunicipalitySettings)
        assert settings.served_counties == frozenset(counties)


def secret_references(node: Any) -> Iterator[str]:
    """Names of the Secrets ``node`` refers to, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("secretKeyRef", "secretRef", "uriSecret", "importCredentialsSecret"):
                yield value["name"]
            elif key == "secretName":
                yield value
            else:
                yield from secret_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from secret_references(item)


def test_every_secret_to_provide_is_documented(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    provided = set(secret_references(resources)) - {"silta-db-app"}  # CloudNativePG writes it
    assert {"silta-api-secrets", "silta-amqp-credentials", "silta-rabbitmq-tls"} <= provided
    readme = (ROOT / "README.md").read_text("utf-8")
    peer = "county-11" if name == "kela" else "kela"
    for secret in provided:
        generic = secret.replace(peer, "<peer>")
        assert secret in readme or generic in readme, f"README names no Secret {secret}"


def test_prometheus_scrapes_the_metrics_port_the_ingress_never_routes(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    api = one(resources, "Deployment", "silta-api")["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in api["ports"]}
    config = one(resources, "ConfigMap", "silta-api-config")["data"]
    metrics_port = [value for key, value in config.items() if key.endswith("_METRICS_PORT")]
    assert metrics_port == [str(ports["metrics"])]  # the service listens where the pod says
    service = one(resources, "Service", "silta-api")["spec"]["ports"]
    assert {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"} in service
    for ingress in of_kind(resources, "Ingress"):
        backends = [
            path["backend"]["service"]["port"]
            for rule in ingress["spec"]["rules"]
            for path in rule["http"]["paths"]
        ]
        assert all(backend == {"name": "http"} for backend in backends)
