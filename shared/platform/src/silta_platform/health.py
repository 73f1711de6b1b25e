"""Liveness and readiness, for operations and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from silta_platform.problems import PROBLEM_JSON, ProblemError
from silta_platform.runtime import Runtime

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str = Field(description="`ok` while the process serves requests.")


class Readiness(BaseModel):
    status: str = Field(description="`ready`, or `unavailable` with what is down.")
    checks: dict[str, str] = Field(
        description="`up` or `down` for `database`, `broker` and `consumer`."
    )
    relay: str = Field(
        description="`publishing` when this replica holds the relay lease (it publishes the "
        "outbox), else `standby` (another replica publishes, or it takes over within seconds)."
    )


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database and the broker are reachable",
    responses={503: {"description": "Something is down", "content": {PROBLEM_JSON: {}}}},
)
async def readyz(request: Request) -> Readiness | JSONResponse:
    runtime: Runtime = request.app.state.runtime
    checks = {
        "database": "up" if await runtime.database_ready() else "down",
        "broker": "up" if runtime.broker.ready else "down",
        "consumer": "up" if runtime.consuming else "down",
    }
    relay = "publishing" if runtime.relay.publishing else "standby"
    if all(state == "up" for state in checks.values()):
        return Readiness(status="ready", checks=checks, relay=relay)
    down = ", ".join(name for name, state in checks.items() if state == "down")
    return ProblemError(
        503,
        "not-ready",
        "Not ready",
        f"down: {down}",
        extra={"checks": checks, "relay": relay},
    ).response(request)
