"""Building a service's FastAPI application around its runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from silta_service import health
from silta_service.problems import Problem, install_problem_handlers
from silta_service.runtime import Runtime


def create_app(
    *,
    title: str,
    description: str,
    runtime_factory: Callable[[], Runtime],
    routers: Sequence[APIRouter],
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = runtime_factory()
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    _register_problem_schema(app)
    return app


def _register_problem_schema(app: FastAPI) -> None:
    """Make ``#/components/schemas/Problem`` exist even if no route names it directly."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in problem.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault("Problem", problem)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
