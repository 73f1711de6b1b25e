"""HTTP plumbing every router of both services uses: the runtime as a dependency, paging bounds,
the ``Idempotency-Key`` header and the answer to a create."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response

from silta_platform.runtime import Runtime

MAX_OFFSET = 2**31 - 1
"""The largest ``offset`` a list takes: a bigger one would overflow the database's integers."""


async def runtime(request: Request) -> Runtime:
    # async: a plain function dependency would cost a threadpool hop on every request
    value: Runtime = request.app.state.runtime
    return value


RuntimeDep = Annotated[Runtime, Depends(runtime)]


def idempotency_key_header(what: str) -> Any:
    """The optional ``Idempotency-Key`` header of a create request that makes ``what``."""
    return Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description=f"Client-chosen key: the same key returns the same {what}.",
    )


def answer_created(response: Response, location: str, *, created: bool) -> None:
    """A create answers ``201`` with ``Location``; its replay (the same Idempotency-Key and
    body) answers ``200`` with the same ``Location``."""
    if not created:
        response.status_code = 200
    response.headers["Location"] = location
