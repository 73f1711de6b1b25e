"""HTTP plumbing every router of both services uses: the runtime as a dependency, paging bounds."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from silta_platform.runtime import Runtime

MAX_OFFSET = 2**31 - 1
"""The largest ``offset`` a list takes: a bigger one would overflow the database's integers."""


async def runtime(request: Request) -> Runtime:
    # async: a plain function dependency would cost a threadpool hop on every request
    value: Runtime = request.app.state.runtime
    return value


RuntimeDep = Annotated[Runtime, Depends(runtime)]
