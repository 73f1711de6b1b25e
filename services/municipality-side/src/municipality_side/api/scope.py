"""What the caller may see on this deployment: its own counties among those served."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from silta_platform.authorisation import PrincipalDep, visible_counties
from silta_platform.http import RuntimeDep

from municipality_side.settings import MunicipalitySettings


def settings_of(runtime: RuntimeDep) -> MunicipalitySettings:
    """This deployment's settings."""
    settings = runtime.settings
    assert isinstance(settings, MunicipalitySettings)
    return settings


async def visible(runtime: RuntimeDep, principal: PrincipalDep) -> frozenset[str]:
    """The counties the caller serves among those this deployment serves."""
    return visible_counties(principal, settings_of(runtime).served_counties)


VisibleCounties = Annotated[frozenset[str], Depends(visible)]
"""The counties whose referrals and statements the caller sees: anything else is `404`."""
