"""``/v1/consultations``: ask the other side, answer what it asked, follow both."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field
from silta_platform.http import MAX_OFFSET, RuntimeDep, answer_created, idempotency_key_header
from silta_platform.problems import idempotency_key_reused, problem_responses, refusal
from silta_protection.access_log import ActorDep
from silta_protection.encryption import cipher_of, client_key_of
from silta_schemas import cooperation_examples as ex
from silta_schemas.client_lookup import ClientLookup
from silta_schemas.consultations import (
    ConsultationAnswer,
    ConsultationAnswerBody,
    ConsultationPurpose,
    ConsultationRequest,
    ConsultationRequestBody,
    ConsultationStatus,
)
from silta_schemas.errors import NotFound, RuleRefused
from silta_schemas.idempotency import IdempotencyKeyReused
from sqlalchemy import Table

from silta_records.client_records import read_logged, row_by_id, rows_of_client, search_client
from silta_records.consultations import service, store
from silta_records.consultations.table import INCOMING, OUTGOING, sealed_columns


class ConsultationSummary(BaseModel):
    """A consultation's tracking record: no personal data."""

    id: UUID = Field(description="The consultation's id, shared by both sides.")
    county_code: str = Field(description="The county asked (by Kela) or asking Kela.")
    direction: str = Field(description="`outgoing`: this side asked; `incoming`: it was asked.")
    status: ConsultationStatus = Field(
        description="`asked`, `answered`, `declined`, or `expired` (the deadline passed)."
    )
    purposes: list[ConsultationPurpose] = Field(description="What the question is for.")
    anonymous: bool = Field(description="True if the question names no client.")
    asked_at: datetime = Field(description="When it was asked.")
    due_at: datetime = Field(description="When the answer is due.")
    answered_at: datetime | None = Field(description="When it was answered or declined.")


class ConsultationView(ConsultationSummary):
    question: ConsultationRequest = Field(description="The question as asked.")
    answer: ConsultationAnswer | None = Field(description="The answer, once there is one.")


class ConsultationPage(BaseModel):
    items: list[ConsultationSummary]


class ConsultationViews(BaseModel):
    items: list[ConsultationView] = Field(description="The client's consultations, newest first.")


def summary_of(found: store.ConsultationRecord) -> ConsultationSummary:
    """A consultation's tracking record, for a list."""
    return ConsultationSummary(**{k: v for k, v in found.__dict__.items() if k in _SUMMARY})


_SUMMARY = frozenset(ConsultationSummary.model_fields)


def _view(found: store.ConsultationRecord) -> ConsultationView:
    return ConsultationView(
        **summary_of(found).model_dump(),
        question=ConsultationRequest.model_validate(found.question),
        answer=None if found.answer is None else ConsultationAnswer.model_validate(found.answer),
    )


def consultations_router(
    table: Table, *, kela: bool, scope: Callable[..., Awaitable[frozenset[str] | None]]
) -> APIRouter:
    """The routes of one side: ``kela`` says which, ``scope`` (a dependency) what the caller
    may see (None: every county)."""
    router = APIRouter(prefix="/v1/consultations", tags=["consultations"])
    Scope = Annotated[frozenset[str] | None, Depends(scope)]
    columns = sealed_columns(table)
    other = "a county" if kela else "Kela"

    @router.post(
        "",
        status_code=201,
        response_model=ConsultationSummary,
        summary=f"Ask {other} a question about a client, with consent or anonymously",
        description=(
            "With `client` (identity code and the client's consent to information exchange) or "
            "without (anonymous: nothing in the text may identify the client; an identity code "
            "is refused). `purposes` decide what the answer may carry. The answer is due in "
            "`CONSULTATION_DEADLINE_WORKING_DAYS` working days; unanswered by then the "
            "consultation expires. With an `Idempotency-Key`, a repeat answers `200`."
        ),
        responses={200: {"model": ConsultationSummary}, **problem_responses(422)},
    )
    async def ask(
        runtime: RuntimeDep,
        actor: ActorDep,
        counties: Scope,
        response: Response,
        body: Annotated[
            ConsultationRequestBody,
            Body(openapi_examples={"consent": {"value": ex.CONSULTATION_REQUEST_EXAMPLE}}),
        ],
        idempotency_key: Annotated[str | None, idempotency_key_header("consultation")] = None,
    ) -> ConsultationSummary:
        try:
            found, created = await service.ask(
                runtime.transactions,
                runtime.settings,
                table,
                kela=kela,
                body=body,
                counties=counties,
                actor=actor,
                idempotency_key=idempotency_key,
            )
        except IdempotencyKeyReused:
            raise idempotency_key_reused() from None
        answer_created(response, f"/v1/consultations/{found.id}", created=created)
        return summary_of(found)

    @router.post(
        "/{consultation_id}/answer",
        response_model=ConsultationSummary,
        summary=f"Answer or decline a question {other} asked",
        description=(
            "`answered` with only the fields the question's purposes allow "
            "(`situation_assessment`: `assessment`; `service_need`: `client_of_services`; "
            "`contact_person`: `contact`; `benefit_matter`: `assessment`, "
            "`application_pending`), or `declined` with `decline_reason`. `409` once answered, "
            "declined or expired."
        ),
        responses=problem_responses(404, 409, 422),
    )
    async def answer(
        runtime: RuntimeDep,
        actor: ActorDep,
        counties: Scope,
        consultation_id: UUID,
        body: Annotated[
            ConsultationAnswerBody,
            Body(openapi_examples={"answer": {"value": ex.CONSULTATION_ANSWER_REQUEST_EXAMPLE}}),
        ],
    ) -> ConsultationSummary:
        try:
            found = await service.answer(
                runtime.transactions,
                runtime.settings,
                table,
                consultation_id=consultation_id,
                body=body,
                counties=counties,
                actor=actor,
            )
        except RuleRefused as refused:
            if refused.rule != "consultation.not_open":
                raise
            raise refusal(
                409, "conflict", "Not open", "status", refused.rule, refused.detail
            ) from None
        return summary_of(found)

    @router.get(
        "",
        response_model=ConsultationPage,
        summary="Consultations asked and received, newest first (no personal data)",
        responses=problem_responses(422),
    )
    async def listed(
        runtime: RuntimeDep,
        counties: Scope,
        direction: Annotated[
            str | None, Query(pattern=f"^({OUTGOING}|{INCOMING})$", description="Only these.")
        ] = None,
        status: Annotated[ConsultationStatus | None, Query(description="Only these.")] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
    ) -> ConsultationPage:
        now = datetime.now(UTC)
        async with runtime.long_reads.connect() as conn:
            rows = await store.listed(
                conn, table, counties, direction, status, now, (limit, offset)
            )
        return ConsultationPage(items=[summary_of(store.record(row, now)) for row in rows])

    @router.post(
        "/search",
        response_model=ConsultationViews,
        summary="One client's consultations with question and answer, newest first",
        description="The identity code in the body, never in a URL; every read is logged.",
        responses=problem_responses(422),
    )
    async def search(
        runtime: RuntimeDep,
        actor: ActorDep,
        counties: Scope,
        body: Annotated[
            ClientLookup,
            Body(openapi_examples={"client": {"value": ex.CONSULTATION_SEARCH_EXAMPLE}}),
        ],
        limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
    ) -> ConsultationViews:
        key = client_key_of(runtime.settings, body.identity_code)
        order = [table.c.asked_at.desc()]

        async def fetch(conn: Any) -> list[Any]:
            rows = await rows_of_client(conn, table, key, order, limit=limit, offset=offset)
            return [r for r in rows if counties is None or r.county_code in counties]

        rows = await search_client(
            runtime.transactions, key, actor, "consultation", service.PURPOSE, fetch
        )
        now, cipher = datetime.now(UTC), cipher_of(runtime.settings)
        return ConsultationViews(
            items=[_view(store.opened(row, now, cipher, columns)) for row in rows]
        )

    @router.get(
        "/{consultation_id}",
        response_model=ConsultationView,
        summary="One consultation: question and answer (access-logged)",
        responses=problem_responses(404, 422),
    )
    async def read(
        runtime: RuntimeDep, actor: ActorDep, counties: Scope, consultation_id: UUID
    ) -> ConsultationView:
        async with runtime.engine.connect() as conn:
            found = await row_by_id(conn, table, consultation_id)  # tracking columns decide
        if found is None or (counties is not None and found.county_code not in counties):
            raise NotFound("consultation")
        row = await read_logged(
            runtime.transactions,
            lambda conn: row_by_id(conn, table, consultation_id),
            lambda row: service.access_of(actor, "read", row),
        )
        assert row is not None  # a consultation is never deleted
        return _view(store.opened(row, datetime.now(UTC), cipher_of(runtime.settings), columns))

    return router
