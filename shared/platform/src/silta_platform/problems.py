"""RFC 9457 problem details for every error the HTTP APIs return.

A validation problem lists each failing field with the rule that failed: the rule ids are
the shared schema package's (``identity_code.control_character``, ``basis.consent_after_notice``
...) or pydantic's own (``missing``, ``extra_forbidden`` ...). Inputs are never echoed back:
they may hold personal data. Nothing taken from the request comes back, not even as a name:
an unknown field is reported at the object holding it (``body`` at the top) with the rule
``extra_forbidden``, never by its name; a message that would quote the input (a
discriminator's tag, a character of a UUID) is replaced by one that does not; ``instance`` is
the route's template (``/v1/referrals/{referral_id}``), never the path as requested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from silta_schemas.codes import MessageKind
from silta_schemas.errors import NotFound, RuleRefused
from silta_schemas.lifecycle import TransitionNotAllowed, allowed_next
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:silta:problem:"


class FieldError(BaseModel):
    field: str = Field(
        description="Dotted path of the offending field, e.g. `client.identity_code`."
    )
    rule: str = Field(
        description="Id of the rule that failed, e.g. `identity_code.control_character`."
    )
    message: str = Field(description="What is wrong, in plain English.")


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(None, description="What went wrong in this case.")
    instance: str | None = Field(
        None,
        description="The route the request matched, as its template "
        "(`/v1/referrals/{referral_id}`): never a value from the request.",
    )
    errors: list[FieldError] | None = Field(None, description="Each field and rule that failed.")


class ProblemError(Exception):
    """Raise from a route to answer with problem details."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        errors: Sequence[FieldError] = (),
        extra: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.extra = extra or {}
        self.headers = dict(headers or {})

    def body(self, instance: str | None) -> dict[str, Any]:
        """The problem details object, for ``instance`` (a route template); also one item's
        answer inside a batch's answer."""
        problem = Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors or None,
        ).model_dump(exclude_none=True)
        problem.update(self.extra)
        return problem

    def response(self, request: Request) -> JSONResponse:
        return JSONResponse(
            self.body(route_template(request)),
            status_code=self.status,
            media_type=PROBLEM_JSON,
            headers=self.headers,
        )


VALIDATION_TITLE = "The request does not satisfy the schema"


def refusal(
    status: int,
    slug: str,
    title: str,
    field: str,
    rule: str,
    message: str,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemError:
    """A refusal for one rule about one field, the rule repeated at the top (``rule``)."""
    return ProblemError(
        status,
        slug,
        title,
        message,
        [FieldError(field=field, rule=rule, message=message)],
        extra={"rule": rule, **(extra or {})},
        headers=headers,
    )


def not_found(what: str) -> ProblemError:
    """404 for a resource this caller cannot see (or that does not exist: the same answer)."""
    return ProblemError(404, "not-found", "Not found", f"no such {what}")


def rule_broken(field: str, rule: str, message: str) -> ProblemError:
    """422 for one rule the service layer checks beyond the request schema."""
    return ProblemError(
        422,
        "validation",
        VALIDATION_TITLE,
        message,
        [FieldError(field=field, rule=rule, message=message)],
    )


def refused(error: RuleRefused) -> ProblemError:
    """422 naming the field (``body`` when the rule is about the whole request) and the rule."""
    return rule_broken(error.field or "body", error.rule, error.detail)


def idempotency_key_reused() -> ProblemError:
    return ProblemError(
        422,
        "idempotency-key-reused",
        "Idempotency-Key reused",
        "this Idempotency-Key was used with a different request body",
    )


def transition_not_allowed(error: TransitionNotAllowed) -> ProblemError:
    """409 naming the lifecycle rule, the current status and what may follow it."""
    return ProblemError(
        409,
        "transition-not-allowed",
        "Status change not allowed",
        str(error),
        [FieldError(field="status", rule=error.rule, message=str(error))],
        extra={"current_status": error.current, "allowed": sorted(allowed_next(error.current))},
    )


def route_template(request: Request) -> str | None:
    """The path template of the route ``request`` matched; None when it matched none (an
    unknown path is the caller's input too)."""
    path = getattr(request.scope.get("route"), "path", None)
    return path if isinstance(path, str) else None


_NEUTRAL_MESSAGES = {
    "union_tag_invalid": "the discriminator does not name one of the expected kinds",
    "uuid_parsing": "Input should be a valid UUID",
    "extra_forbidden": "a field that is not allowed here (its name is not repeated)",
}
"""Messages for rules whose pydantic text would quote the request (the tag, a character, …)."""


def _message(error: Mapping[str, Any], rule: str) -> str:
    """The error's message, unless it would carry something of the request."""
    if rule in _NEUTRAL_MESSAGES:
        return _NEUTRAL_MESSAGES[rule]
    message = str(error.get("msg", ""))
    value = error.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        quoted = str(value)
        if len(quoted) > 1 and quoted in message:
            return f"the value does not satisfy {rule}"
    return message


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Turn pydantic/FastAPI errors into field + rule pairs, without the inputs: an unknown
    field is reported at the object holding it, never by its name."""
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "extra_forbidden":
            location = location[:-1]  # the unknown key is the caller's input
        if location[:1] == ["body"]:
            location = location[1:]
            if location[:1] and location[0] in _KINDS:
                location = location[1:]  # the discriminated union's tag is not a field
            if error.get("type") == "json_invalid":
                location = []  # the position of the syntax error, not a field
        context = error.get("ctx") or {}
        if isinstance(context.get("field"), str):
            location.append(context["field"])  # a rule across fields names the one to fix
        field = ".".join(location) or "body"
        rule = str(error.get("type", "invalid"))
        result.append(FieldError(field=field, rule=rule, message=_message(error, rule)))
    return result


_KINDS = frozenset(kind.value for kind in MessageKind)

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
}


def invalid(errors: Sequence[FieldError]) -> ProblemError:
    """422 naming each failing field and rule (a request, or one item of a batch)."""
    detail = "; ".join(f"{e.field}: {e.rule}" for e in errors)
    return ProblemError(422, "validation", VALIDATION_TITLE, detail, errors)


def validation_response(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 naming each failing field and rule."""
    return invalid(field_errors(error.errors())).response(request)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return validation_response(request, error)

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> JSONResponse:
        return error.response(request)

    @app.exception_handler(RuleRefused)
    async def _refused(request: Request, error: RuleRefused) -> JSONResponse:
        return refused(error).response(request)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> JSONResponse:
        return not_found(error.what).response(request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        title = _TITLES.get(error.status_code, "HTTP error")
        slug = title.lower().replace(" ", "-")
        return ProblemError(
            error.status_code, slug, title, str(error.detail), headers=error.headers
        ).response(request)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem details for ``statuses``."""
    return {
        status: {
            "model": Problem,
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
