"""Keep the operators' CRD schemas in infra/k8s/crds (used by tests/unit/infra/test_k8s.py).

    python tools/crd_schemas.py SOURCE_LABEL CRD.yaml...

Writes each CustomResourceDefinition to ``infra/k8s/crds/<group>_<plural>.yaml`` with only
what validation needs (group, names, scope, each version's openAPIV3Schema) and without the
``description`` texts, which make up most of their size. ``SOURCE_LABEL`` (repository and
commit) goes into the file's header. Run it again on a newer operator release to refresh.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

TARGET = Path(__file__).resolve().parent.parent / "infra" / "k8s" / "crds"


def strip_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: strip_descriptions(value)
            for key, value in node.items()
            if not (key == "description" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [strip_descriptions(item) for item in node]
    return node


def slim(crd: dict[str, Any]) -> dict[str, Any]:
    spec = crd["spec"]
    return {
        "apiVersion": crd["apiVersion"],
        "kind": crd["kind"],
        "metadata": {"name": crd["metadata"]["name"]},
        "spec": {
            "group": spec["group"],
            "names": spec["names"],
            "scope": spec["scope"],
            "versions": [
                {
                    "name": version["name"],
                    "served": version["served"],
                    "storage": version["storage"],
                    "schema": strip_descriptions(version["schema"]),
                }
                for version in spec["versions"]
            ],
        },
    }


def main(argv: list[str]) -> int:
    label, *paths = argv
    for path in paths:
        crd = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        spec = crd["spec"]
        out = TARGET / f"{spec['group']}_{spec['names']['plural']}.yaml"
        name = crd["metadata"]["name"]
        header = f"# {name} from {label}, {Path(path).name}; descriptions removed\n"
        out.write_text(header + yaml.safe_dump(slim(crd), sort_keys=False), encoding="utf-8")
        print(out.relative_to(TARGET.parent.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
