"""HTTP answers while the service's own database does not answer: 503, never a 500.

A request that fails because the database refuses connections, is starting up or dropped the
connection (``silta_messaging.availability``) is answered ``503`` problem details with rule
``service.database_unavailable`` and ``Retry-After``, and logged as ONE line (no traceback:
nothing is wrong with the code or the request). Nothing of the request took effect: its
transaction never committed, so the client retries it as it was, with the same
``Idempotency-Key`` for a write. Any other database error stays a 500 with its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from silta_messaging.availability import database_unavailable, describe
from sqlalchemy import exc

from silta_platform.problems import PROBLEM_JSON, ProblemError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
"""What ``Retry-After`` tells clients: a restart or fail-over takes about this long."""
DATABASE_UNAVAILABLE = "service.database_unavailable"

_ERRORS: tuple[type[Exception], ...] = (exc.DBAPIError, exc.TimeoutError, OSError)
"""What a database that does not answer raises: the driver's errors as SQLAlchemy wraps
them, the pool's wait running out, or a refused or broken connection as it is."""


def database_unavailable_response(request: Request, error: Exception) -> JSONResponse:
    log.warning(
        "database unavailable (%s): answering 503 to %s %s",
        describe(error),
        request.method,
        request.url.path,
    )
    return ProblemError(
        503,
        "database-unavailable",
        "Service unavailable",
        f"The service's database does not answer; retry in {RETRY_AFTER_SECONDS} s. Nothing "
        "of this request took effect: repeat a write with the same Idempotency-Key.",
        extra={"rule": DATABASE_UNAVAILABLE},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    ).response(request)


def install_outage_handlers(app: FastAPI) -> None:
    async def _database_error(request: Request, error: Exception) -> JSONResponse:
        if not database_unavailable(error):
            raise error  # a real failure: 500, logged with its traceback
        return database_unavailable_response(request, error)

    for error_type in _ERRORS:
        app.add_exception_handler(error_type, _database_error)


def outage_responses() -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry of the 503 every API route may answer."""
    return {
        503: {
            "description": "The service's database does not answer; retry after `Retry-After` "
            "seconds (a write with the same `Idempotency-Key`).",
            "headers": {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            },
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    }
