"""Building a service's FastAPI application around its runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from silta_platform import contracts, edge, health
from silta_platform.access_log import AccessLog
from silta_platform.auth import (
    AuthenticationFailed,
    Authenticator,
    bearer_token,
    install_auth_handler,
    unauthorised_response,
)
from silta_platform.authorisation import Side, authenticate, authorise
from silta_platform.code_lists import code_lists_router
from silta_platform.docs import install_docs
from silta_platform.edge import Edge
from silta_platform.metrics import HttpMetrics, MetricsListener, ServiceMetrics
from silta_platform.outages import install_outage_handlers, outage_responses
from silta_platform.problems import (
    Problem,
    ProblemError,
    install_problem_handlers,
    problem_responses,
    validation_response,
)
from silta_platform.runtime import Runtime
from silta_platform.tracing import traced


def create_app(
    *,
    title: str,
    description: str,
    runtime_factory: Callable[[], Runtime],
    routers: Sequence[APIRouter],
    side: Side,
    metrics: ServiceMetrics | None = None,
) -> FastAPI:
    """With ``metrics``: ``GET /v1/ops/metrics``, and ``GET /metrics`` on ``METRICS_PORT``
    when that is set (``silta_platform.metrics``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = runtime_factory()
        app.state.runtime = runtime
        app.state.authenticator = Authenticator(runtime.settings)
        app.state.edge = Edge.from_settings(runtime.settings)
        await app.state.authenticator.start()  # no usable keys (or dev keys in production): stop
        await runtime.start()
        listener: MetricsListener | None = None
        try:
            port = runtime.settings.metrics_port
            if metrics is not None and port is not None:
                listener = metrics.serve(runtime, runtime.settings.host, port)
            app.state.metrics_listener = listener
            yield
        finally:
            if listener is not None:
                await listener.close()
            await runtime.stop()

    app = FastAPI(
        title=title,
        description=description,
        version="1",
        lifespan=lifespan,
        docs_url=None,  # served by silta_platform.docs, without a CDN
        redoc_url=None,
    )
    app.state.side = side
    install_docs(app)
    _inside_the_edge(app)
    install_problem_handlers(app)
    install_outage_handlers(app)
    install_auth_handler(app)

    @app.exception_handler(RequestValidationError)
    async def _authenticate_before_validating(
        request: Request, error: RequestValidationError
    ) -> JSONResponse:
        # FastAPI parses the body before it runs dependencies: without this, a caller with
        # no valid token would learn how the API validates bodies (422) instead of 401.
        authenticated = getattr(request.state, "principal", None) is not None
        if not authenticated and (request.url.path.startswith("/v1/") or request.url.path == "/v1"):
            try:
                await authenticate(request, bearer_token(request))
            except AuthenticationFailed as refused:
                return unauthorised_response(request, refused)
            except ProblemError as problem:  # 429
                return problem.response(request)
        return validation_response(request, error)

    app.include_router(health.router)
    app.include_router(contracts.router)  # the bus contract, without a token
    extra = [metrics.router()] if metrics is not None else []
    # The code lists are the same on both sides: every app has them.
    for router in [
        *routers,
        code_lists_router(),
        *extra,
    ]:  # every /v1 route: a bearer token, and the permission table
        app.include_router(
            router,
            dependencies=[Depends(authorise)],
            responses={**problem_responses(400, 401, 403, 413, 429), **outage_responses()},
        )
    _register_problem_schema(app)
    return app


def _inside_the_edge(app: FastAPI) -> None:
    """Wrap the whole middleware stack (FastAPI's error handling included) in the edge, and
    that in the access log and the latency histogram, so the edge's own refusals (413, 429)
    are logged and timed too."""
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        # The access log logs the route's template, never the path or query as sent.
        # The request's span outermost: the access log line carries its trace id.
        return traced(HttpMetrics(AccessLog(edge.wrap(build()))))

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


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
