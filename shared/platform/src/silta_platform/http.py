"""HTTP plumbing every router of both services uses: the runtime as a dependency, paging bounds,
the ``Idempotency-Key`` header, the answer to a create and the routes that read a resource
or a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.types import DecoratedCallable

from silta_platform.problems import problem_responses
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


def read_one(
    router: APIRouter, path: str, model: type[Any], summary: str
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """``GET path``: one resource, by the id in ``path``, as ``model``; a problem ``404`` when
    there is none the caller may see, ``422`` when the id is malformed."""
    return router.get(
        path, response_model=model, summary=summary, responses=problem_responses(404, 422)
    )


def read_list(
    router: APIRouter, model: type[Any], summary: str
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """``GET`` the router's collection, as ``model``; a problem ``422`` when a filter or the
    page is malformed."""
    return router.get("", response_model=model, summary=summary, responses=problem_responses(422))
