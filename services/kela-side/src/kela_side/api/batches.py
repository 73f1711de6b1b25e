"""POST /v1/referrals/batch: a night's batch of notices in one request, one answer each.

The body is a JSON array (``application/json``) or one entry a line (``application/x-ndjson``);
each entry is ``{"idempotency_key": …, "referral": {…}}``. An NDJSON body is spooled as it
arrives (to disk past a megabyte) and counted, so a batch over ``BATCH_MAX_ITEMS`` is refused
before anything is stored; then it is parsed a chunk of lines at a time, so memory holds one
chunk of entries, not the batch. Each entry is validated by the single POST's schema and its
rules (``kela_side.handlers.submit_batch``); the answers come in input order, as NDJSON
streamed chunk by chunk when the caller accepts ``application/x-ndjson``, else as one JSON
object. Nothing of an entry's values is echoed: a refusal names the field and the rule.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from itertools import islice
from typing import IO, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from silta_platform.http import RuntimeDep
from silta_platform.problems import (
    FieldError,
    ProblemError,
    field_errors,
    invalid,
    problem_responses,
    refusal,
    refused,
)
from silta_platform.runtime import Runtime
from silta_protection.access_log import Actor, ActorDep
from silta_schemas.errors import RuleRefused
from silta_schemas.idempotency import IdempotencyKeyReused
from silta_schemas.referrals import referral_adapter

from kela_side.api.referrals import duplicate_problem
from kela_side.commands import BatchEntry, SubmitReferrals
from kela_side.domain.submission import DuplicateReferral
from kela_side.records import BatchOutcome
from kela_side.settings import BATCH_PATH, KelaSettings

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])

NDJSON = "application/x-ndjson"
CHUNK = 200
"""Entries decided and written together: what the service holds of a batch at a time. One
group commit's worth (``silta_platform.group_commit.DEFAULT_MAX_GROUP``): 1,000 were no
faster in the benchmark's batch, and every stage of a chunk in memory at once took Kela's
peak RSS to 160 MB (141 MB at 200)."""
SPOOL_IN_MEMORY = 1 << 20


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    idempotency_key: str = Field(min_length=1, max_length=200)
    referral: dict[str, Any]


class BatchItemResult(BaseModel):
    index: int = Field(description="The entry's place in the batch, from 0.")
    outcome: Literal["created", "duplicate", "refused"] = Field(
        description="`created`; `duplicate`: its Idempotency-Key and body were stored before "
        "(`id` is that referral); `refused`: `problem` says by which rule."
    )
    id: UUID | None = Field(None, description="The referral (created or duplicate).")
    href: str | None = Field(None, description="Where its status is read.")
    problem: dict[str, Any] | None = Field(
        None, description="Problem details as the single POST would answer them (refused)."
    )


class BatchAnswer(BaseModel):
    created: int
    duplicate: int
    refused: int
    items: list[BatchItemResult] = Field(description="One result per entry, in input order.")


_ENTRY_SCHEMA = {
    "type": "object",
    "required": ["idempotency_key", "referral"],
    "additionalProperties": False,
    "properties": {
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200},
        "referral": {"type": "object", "description": "A body of `POST /v1/referrals`."},
    },
}


@router.post(
    "/batch",
    summary="Send a batch of referrals (a night's notices), one answer per entry",
    description=(
        "Up to `BATCH_MAX_ITEMS` (10,000) entries `{idempotency_key, referral}` as a JSON "
        "array or NDJSON. Each referral is validated and decided exactly as by `POST "
        "/v1/referrals` with its own Idempotency-Key, in input order; the answer has one "
        "result per entry: `created` with its id, `duplicate` with the id stored earlier "
        "under the key, or `refused` with problem details naming field and rule. With "
        "`Accept: application/x-ndjson` the results stream one a line. The batch counts as "
        "one request against the rate limit; every referral created is access-logged."
    ),
    response_model=BatchAnswer,
    responses={
        200: {"content": {NDJSON: {"schema": {"$ref": "#/components/schemas/BatchItemResult"}}}},
        **problem_responses(413, 415, 422),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": _ENTRY_SCHEMA}},
                NDJSON: {"schema": _ENTRY_SCHEMA},
            },
        }
    },
)
async def submit_batch(request: Request, runtime: RuntimeDep, actor: ActorDep) -> Response:
    settings = runtime.settings
    limit = settings.batch_max_items if isinstance(settings, KelaSettings) else 10_000
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == NDJSON:
        items = await _ndjson(request, limit)
    elif media_type == "application/json":
        items = await _json_array(request, limit)
    else:
        raise refusal(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Content-Type",
            "content_type.unsupported",
            f"send application/json (an array) or {NDJSON}",
        )
    results = _results(runtime, actor, items)
    if NDJSON in request.headers.get("accept", ""):
        return StreamingResponse(_lines(results), media_type=NDJSON)
    answered = [result async for chunk in results for result in chunk]
    counts = Counter(result["outcome"] for result in answered)
    answer = {key: counts[key] for key in ("created", "duplicate", "refused")}
    return JSONResponse({**answer, "items": answered})


def _too_many(limit: int) -> ProblemError:
    return refusal(
        422,
        "validation",
        "Too many entries in the batch",
        "body",
        "batch.too_many_items",
        f"a batch takes at most {limit} entries; send the rest in another",
        extra={"max_items": limit},
    )


def _not_json(field: str, what: str) -> ProblemError:
    return invalid([FieldError(field=field, rule="json_invalid", message=f"{what} is not JSON")])


async def _json_array(request: Request, limit: int) -> Iterator[Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise _not_json("body", "the body") from None
    if not isinstance(body, list):
        raise invalid(
            [FieldError(field="body", rule="list_type", message="Input should be a valid list")]
        )
    if len(body) > limit:
        raise _too_many(limit)
    body.reverse()  # handed out from the end: each entry's dict is let go once decided
    return (body.pop() for _ in range(len(body)))


async def _ndjson(request: Request, limit: int) -> Iterator[Any]:
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    async for chunk in request.stream():
        spool.write(chunk)
    spool.seek(0)
    if sum(1 for line in spool if line.strip()) > limit:
        spool.close()
        raise _too_many(limit)
    spool.seek(0)
    return _parsed_lines(spool)


_UNPARSABLE = object()


def _parsed_lines(spool: IO[bytes]) -> Iterator[Any]:
    with spool:
        for line in spool:
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    yield _UNPARSABLE


def _entry(raw: Any) -> BatchEntry | ProblemError:
    """The entry, or its refusal naming each failing field and rule (as the single POST
    names them; the entry's own fields are ``idempotency_key`` and ``referral``)."""
    if raw is _UNPARSABLE:
        return _not_json("body", "the line")
    try:
        entry = _Entry.model_validate(raw)
    except ValidationError as error:
        return invalid(field_errors(error.errors()))
    try:
        referral = referral_adapter.validate_python(entry.referral)
    except ValidationError as error:
        located = [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        return invalid(field_errors(located))
    return BatchEntry(referral, entry.idempotency_key)


def _problem(entry: BatchEntry, error: RuleRefused) -> ProblemError:
    if isinstance(error, DuplicateReferral):
        return duplicate_problem(error, entry.referral)
    if isinstance(error, IdempotencyKeyReused):
        reused = ("idempotency-key-reused", "Idempotency-Key reused", "idempotency_key")
        return refusal(422, *reused, error.rule, error.detail)
    return refused(error)


def _chunks(items: Iterator[Any]) -> Iterable[list[Any]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


async def _results(
    runtime: Runtime, actor: Actor, items: Iterator[Any]
) -> AsyncIterator[list[dict[str, Any]]]:
    """The results chunk by chunk, each chunk decided (and stored) before the next is read."""
    index = 0
    for chunk in _chunks(items):
        parsed = [_entry(raw) for raw in chunk]
        entries = [item for item in parsed if isinstance(item, BatchEntry)]
        decided = await runtime.commands.handle(SubmitReferrals(entries, actor)) if entries else []
        outcomes = iter(decided)
        results = []
        for item in parsed:
            results.append(
                _result(index, item, None if isinstance(item, ProblemError) else next(outcomes))
            )
            index += 1
        yield results


def _result(
    index: int, item: BatchEntry | ProblemError, outcome: BatchOutcome | None
) -> dict[str, Any]:
    if isinstance(item, ProblemError):
        return _refused(index, item)
    if isinstance(outcome, RuleRefused):
        return _refused(index, _problem(item, outcome))
    assert outcome is not None
    kind = "created" if outcome.created else "duplicate"
    return {
        "index": index,
        "outcome": kind,
        "id": str(outcome.id),
        "href": f"/v1/referrals/{outcome.id}",
    }


def _refused(index: int, problem: ProblemError) -> dict[str, Any]:
    return {"index": index, "outcome": "refused", "problem": problem.body(BATCH_PATH)}


async def _lines(results: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    async for chunk in results:
        # orjson: ten thousand result lines; the standard library's encoder was 2-3 % of
        # Kela's CPU in the benchmark's batch. Its output differs only in writing characters
        # beyond ASCII as UTF-8 rather than escaped, the same JSON.
        yield b"".join(orjson.dumps(result) + b"\n" for result in chunk)
