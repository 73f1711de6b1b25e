"""Build a kustomize overlay in Python, for the offline tests of infra/k8s.

kustomize itself is a Go program (also inside ``kubectl kustomize``) and no maintained PyPI
package wraps it, so the tests build the overlays with this loader, which knows exactly the
subset of kustomize the manifests use and refuses anything else:

- ``resources``: YAML files (several documents each) and directories holding a
  ``kustomization.yaml`` (built recursively);
- ``patches``: JSON 6902 patch files (a YAML list of ``add``/``replace``/``remove``
  operations) with a ``target`` of ``kind`` and ``name``; a target matching nothing is an error;
- ``namespace``: set on every resource (the manifests hold no cluster-scoped kind);
- ``labels`` with ``pairs``: added to every resource's ``metadata.labels`` (kustomize's
  default: selectors and pod templates are left alone).

Where ``kubectl`` is installed, tests/unit/infra/test_k8s.py checks that ``kubectl kustomize``
builds the same resources, so this loader cannot drift from kustomize unnoticed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

SUPPORTED = {"apiVersion", "kind", "namespace", "labels", "resources", "patches"}


class Unsupported(ValueError):
    """The kustomization uses a feature this loader does not implement."""


def build(directory: Path) -> list[Resource]:
    """The resources ``kustomize build directory`` would produce (in file order)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text("utf-8"))
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise Unsupported(f"{directory}: kustomization fields not supported: {sorted(unknown)}")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            resources.extend(build(path))
        else:
            docs = yaml.safe_load_all(path.read_text("utf-8"))
            resources.extend(doc for doc in docs if doc is not None)
    for patch in kustomization.get("patches", []):
        _apply_patch(directory, patch, resources)
    namespace = kustomization.get("namespace")
    for resource in resources:
        if namespace:
            resource.setdefault("metadata", {})["namespace"] = namespace
        for labels in kustomization.get("labels", []):
            if set(labels) - {"pairs"}:
                raise Unsupported(f"{directory}: labels options {sorted(labels)}")
            resource["metadata"].setdefault("labels", {}).update(labels["pairs"])
    return resources


def _apply_patch(directory: Path, patch: dict[str, Any], resources: list[Resource]) -> None:
    if set(patch) != {"path", "target"} or set(patch["target"]) - {"kind", "name"}:
        raise Unsupported(f"{directory}: patch {patch}: only path + target kind/name")
    operations = yaml.safe_load((directory / patch["path"]).read_text("utf-8"))
    if not isinstance(operations, list):
        raise Unsupported(f"{directory}/{patch['path']}: only JSON 6902 patches (a list)")
    target = patch["target"]
    matched = [
        resource
        for resource in resources
        if all(
            (resource["kind"] if key == "kind" else resource["metadata"]["name"]) == value
            for key, value in target.items()
        )
    ]
    if not matched:
        raise ValueError(f"{directory}: patch target {target} matches no resource")
    for resource in matched:
        for operation in operations:
            json_patch(resource, operation)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ValueError(f"JSON pointer must start with /: {path}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def json_patch(document: Resource, operation: dict[str, Any]) -> None:
    """Apply one RFC 6902 ``add``, ``replace`` or ``remove`` operation in place."""
    op = operation["op"]
    *parents, last = _pointer(operation["path"])
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    value = copy.deepcopy(operation.get("value"))
    if isinstance(node, list):
        if op == "add":
            node.insert(len(node) if last == "-" else int(last), value)
        elif op == "replace":
            node[int(last)] = value
        elif op == "remove":
            del node[int(last)]
        else:
            raise Unsupported(f"JSON patch op {op}")
        return
    if op in ("replace", "remove") and last not in node:
        raise ValueError(f"JSON patch {op}: {operation['path']} does not exist")
    if op in ("add", "replace"):
        node[last] = value
    elif op == "remove":
        del node[last]
    else:
        raise Unsupported(f"JSON patch op {op}")
