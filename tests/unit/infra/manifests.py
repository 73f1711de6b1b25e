"""What the infra/k8s tests share: the overlays, their validation and look-ups."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from kela_side.settings import KelaSettings
from municipality_side.settings import MunicipalitySettings
from silta_platform.settings import ServiceSettings

from tests.scripts import load_script
from tests.unit.infra.kustomize_lite import Resource

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "infra" / "k8s"
KUBERNETES_VERSION = "1.32.0"
OVERLAYS: dict[str, tuple[str, type[ServiceSettings], tuple[str, ...]]] = {
    # overlay: (env prefix, settings class, counties served)
    "kela": ("KELA_SIDE_", KelaSettings, ()),
    "county-11": ("MUNICIPALITY_SIDE_", MunicipalitySettings, ("11",)),
}


def load_broker_users() -> ModuleType:
    return load_script(ROOT / "infra" / "broker_users.py", "broker_users")


def strict(schema: Any) -> Any:
    """A CRD schema that refuses unknown fields (the API server would silently drop them)."""
    if isinstance(schema, dict):
        out = {key: strict(value) for key, value in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def crd_schemas() -> dict[tuple[str, str], Any]:
    """(apiVersion, kind) -> the strict openAPIV3Schema of every CRD kept in the repository."""
    schemas = {}
    for path in sorted((K8S / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text("utf-8"))
        for version in crd["spec"]["versions"]:
            api_version = f"{crd['spec']['group']}/{version['name']}"
            schema = strict(version["schema"]["openAPIV3Schema"])
            schemas[(api_version, crd["spec"]["names"]["kind"])] = schema
    return schemas


SCHEMAS = crd_schemas()


def validate(resource: Resource) -> None:
    """Raise if ``resource`` is not valid for its kind (core or an operator's)."""
    schema = SCHEMAS.get((resource["apiVersion"], resource["kind"]))
    if schema is not None:
        jsonschema.validate(resource, schema, cls=jsonschema.Draft7Validator)
    else:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def one(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def container(resources: list[Resource]) -> dict[str, Any]:
    containers = one(resources, "Deployment", "silta-api")["spec"]["template"]["spec"]
    assert len(containers["containers"]) == 1
    result: dict[str, Any] = containers["containers"][0]
    return result
