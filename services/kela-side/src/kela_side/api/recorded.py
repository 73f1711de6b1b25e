"""The endpoints that step Kela's cooperation records (case managers, cooperation cases), made
alike: each runs ``ChangeRecord`` with its request, answers the record's tracking data, and
answers ``409`` naming the rule where the record's state forbids the step.

(No ``from __future__ import annotations``: the endpoints' parameters are annotated with the
request type each route is made for, which FastAPI must see as a type.)"""

from collections.abc import Callable, Collection, Mapping
from types import SimpleNamespace
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses, refusal
from silta_protection.access_log import ActorDep
from silta_schemas.errors import RuleRefused

from kela_side.commands import ChangeRecord, CloseCase
from kela_side.records import Recorded


async def handled(runtime: RuntimeDep, command: ChangeRecord, conflicts: Collection[str]) -> Any:
    """The stored row after the command, as the views read it; a rule in ``conflicts``
    answers ``409`` naming it."""
    try:
        result: Recorded = await runtime.commands.handle(command)
    except RuleRefused as refused:
        if refused.rule not in conflicts:
            raise
        field = refused.field or "body"
        raise refusal(
            409, "conflict", "Not allowed now", field, refused.rule, refused.detail
        ) from None
    return SimpleNamespace(**result.row)


class RecordRoutes:
    """The routes stepping one kind of record on ``router``."""

    def __init__(
        self,
        router: APIRouter,
        summary: type[BaseModel],
        summarise: Callable[[Any], BaseModel],
        conflicts: Collection[str],
    ) -> None:
        self.router, self.summary, self.summarise, self.conflicts = (
            router,
            summary,
            summarise,
            conflicts,
        )

    async def _answer(self, runtime: RuntimeDep, command: ChangeRecord) -> BaseModel:
        return self.summarise(await handled(runtime, command, self.conflicts))

    def create(
        self, body: type[BaseModel], examples: Mapping[str, Any], summary: str, description: str
    ) -> None:
        """``POST`` the collection: a new record, ``201`` with its ``Location``."""

        async def create(
            runtime: RuntimeDep,
            actor: ActorDep,
            response: Response,
            request: Annotated[body, Body(openapi_examples=examples)],  # type: ignore[valid-type]
        ) -> Any:
            answer: Any = await self._answer(runtime, ChangeRecord(request, None, actor))
            response.headers["Location"] = f"{self.router.prefix}/{answer.id}"
            return answer

        self.router.post(
            "",
            status_code=201,
            response_model=self.summary,
            summary=summary,
            description=description,
            responses=problem_responses(409, 422),
        )(create)

    def step(self, path: str, body: type[BaseModel] | None, summary: str, description: str) -> None:
        """``POST /{record_id}/path``: a step of the record (``body`` None: one without a
        request body, closing a case)."""
        route = self.router.post(
            f"/{{record_id}}/{path}",
            response_model=self.summary,
            summary=summary,
            description=description,
            responses=problem_responses(404, 409, 422),
            name=path,
        )
        if body is None:

            async def bodiless(runtime: RuntimeDep, actor: ActorDep, record_id: UUID) -> Any:
                return await self._answer(runtime, ChangeRecord(CloseCase(), record_id, actor))

            route(bodiless)
            return

        async def with_body(
            runtime: RuntimeDep,
            actor: ActorDep,
            record_id: UUID,
            request: Annotated[body, Body()],  # type: ignore[valid-type]
        ) -> Any:
            return await self._answer(runtime, ChangeRecord(request, record_id, actor))

        route(with_body)
