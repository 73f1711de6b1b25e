"""What the caller may see on this deployment: its own counties among those served."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from silta_service.authorisation import PrincipalDep, visible_counties
from silta_service.views import RuntimeDep

from municipality_side.settings import MunicipalitySettings


async def _visible(runtime: RuntimeDep, principal: PrincipalDep) -> frozenset[str]:
    settings = runtime.settings
    assert isinstance(settings, MunicipalitySettings)
    return visible_counties(principal, settings.served_counties)


VisibleCounties = Annotated[frozenset[str], Depends(_visible)]
"""The counties whose referrals and statements the caller sees: anything else is `404`."""
