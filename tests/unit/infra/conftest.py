from __future__ import annotations

import pytest

from tests.unit.infra.kustomize_lite import Resource, build
from tests.unit.infra.manifests import K8S


@pytest.fixture(scope="module", params=["county-11", "kela"])
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Resource]]:
    return request.param, build(K8S / "overlays" / request.param)
