"""``GET /v1/events`` (the change feed, long-polled) and ``/v1/webhooks`` (subscriptions), the
same on both sides; ``counties`` decides the scope (None: Kela's side, every county; else
the counties a county's deployment serves, of which a caller sees its own)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, ConfigDict, Field
from silta_platform.authorisation import Principal, PrincipalDep, visible_counties
from silta_platform.db import as_utc, one_snapshot
from silta_platform.http import RuntimeDep
from silta_platform.problems import not_found, problem_responses, rule_broken
from silta_protection.access_log import Access, ActorDep
from silta_protection.encryption import cipher_of
from sqlalchemy import Row

from silta_records.events import subscriptions
from silta_records.events.feed import ChangeFeed
from silta_records.events.table import EventTables
from silta_records.events.view import EventView
from silta_records.events.webhooks import UrlRefused, check_url, new_secret, secret_bytes

MAX_WAIT_SECONDS = 30
MAX_CURSOR = 2**63 - 1
"""The largest cursor either database's integers hold."""
FEED_PURPOSE = "change_feed"


class EventPage(BaseModel):
    events: list[EventView] = Field(description="Oldest first; empty when none came in time.")
    next_cursor: int = Field(
        description="Give it as `after` next time: the last event's cursor, or `after` as "
        "given when there were none."
    )


class WebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1, max_length=2000, description="Where deliveries go: an https URL."
    )
    secret: str | None = Field(
        None,
        repr=False,
        description="`whsec_` and the base64 of 24 to 64 random bytes; omitted: the server "
        "makes one and answers it once.",
    )
    after: int | None = Field(
        None,
        ge=0,
        le=MAX_CURSOR,
        description="Deliver the events after this cursor; omitted: new ones only.",
    )


class DeliveryView(BaseModel):
    cursor: int = Field(description="The event's cursor.")
    event_id: str = Field(description="The event's id (the `webhook-id` header).")
    attempt: int = Field(description="Which attempt at this event (1 for the first).")
    attempted_at: datetime
    outcome: str = Field(description="`delivered`, `failed` or `refused_url`.")
    status_code: int | None = Field(description="The receiver's HTTP status, if it answered.")
    error: str | None = Field(description="Why it failed: a rule, never the receiver's text.")


class WebhookView(BaseModel):
    id: str
    url: str
    counties: list[str] | None = Field(description="Whose events it receives (null: all).")
    status: str = Field(description="`active`, or `failed` after too many failed attempts.")
    position: int = Field(description="The cursor of the last event delivered (or skipped).")
    attempts: int = Field(description="Failed attempts at the next event so far.")
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    deliveries: list[DeliveryView] = Field(
        default_factory=list, description="The latest attempts, newest first (one webhook)."
    )


class CreatedWebhook(WebhookView):
    secret: str | None = Field(
        description="The secret the server made, shown this once; null when the client gave it."
    )


class WebhookList(BaseModel):
    items: list[WebhookView]


def _view(row: Row[Any], deliveries: Sequence[Row[Any]] = ()) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "counties": None if row.counties is None else [c for c in row.counties.split(",") if c],
        "status": row.status,
        "position": row.position,
        "attempts": row.attempts,
        "next_attempt_at": as_utc(row.next_attempt_at),
        "last_error": row.last_error,
        "created_at": as_utc(row.created_at),
        "deliveries": [
            DeliveryView.model_validate({**d._mapping, "attempted_at": as_utc(d.attempted_at)})
            for d in deliveries
        ],
    }


def events_router(tables: EventTables, *, counties: Collection[str] | None = None) -> APIRouter:
    router = APIRouter(tags=["change feed"])

    def scope(principal: Principal) -> frozenset[str] | None:
        return None if counties is None else visible_counties(principal, counties)

    @router.get(
        "/v1/events",
        response_model=EventPage,
        summary="The change feed: what happened after a cursor, waiting for it if need be",
        description="Events (ids, kinds, statuses, never content) of the caller's counties "
        "(on Kela's side: all), oldest first. With `wait`, an empty answer comes only after "
        "that many seconds without an event; an event committed meanwhile answers at once.",
        responses=problem_responses(422),
    )
    async def read_feed(
        runtime: RuntimeDep,
        principal: PrincipalDep,
        actor: ActorDep,
        after: Annotated[
            int, Query(ge=0, le=MAX_CURSOR, description="The cursor already seen (0: none).")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000, description="Events at most.")] = 100,
        wait: Annotated[
            float, Query(ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait (max 30).")
        ] = 0,
    ) -> EventPage:
        feed = runtime.companion(ChangeFeed)
        events = await feed.wait(after, limit, scope(principal), wait)
        if not events:
            return EventPage(events=[], next_cursor=after)
        span = f"{events[0].cursor}-{events[-1].cursor}"
        async with runtime.transactions.begin() as work:  # one entry per county read
            work.account(
                *[
                    Access(actor, "read", "events", span, None, FEED_PURPOSE, county=county)
                    for county in sorted({event.county_code for event in events})
                ]
            )
        return EventPage(events=list(events), next_cursor=events[-1].cursor)

    @router.post(
        "/v1/webhooks",
        response_model=CreatedWebhook,
        status_code=201,
        summary="Subscribe a URL to the change feed",
        description="Each event of the caller's counties (Kela: all) is POSTed to `url`, "
        "signed per Standard Webhooks with the subscription's secret.",
        responses=problem_responses(422),
    )
    async def create_webhook(
        runtime: RuntimeDep,
        principal: PrincipalDep,
        request: WebhookRequest,
        response: Response,
    ) -> CreatedWebhook:
        try:
            await check_url(request.url, runtime.settings)
        except UrlRefused as refused:
            raise rule_broken("body.url", refused.rule, refused.message) from None
        if request.secret is not None and secret_bytes(request.secret) is None:
            raise rule_broken(
                "body.secret",
                "webhook.secret_format",
                "a secret is whsec_ and the base64 of 24 to 64 bytes",
            )
        secret = request.secret or new_secret()
        async with runtime.engine.begin() as conn:
            row = await subscriptions.create(
                conn,
                tables,
                cipher_of(runtime.settings),
                organisation=principal.organisation,
                counties=scope(principal),
                url=request.url,
                secret=secret,
                after=request.after,
                created_by=principal.subject,
            )
        response.headers["Location"] = f"/v1/webhooks/{row.id}"
        runtime.companion(ChangeFeed).wake()
        shown = None if request.secret is not None else secret
        return CreatedWebhook(**_view(row), secret=shown)

    @router.get("/v1/webhooks", response_model=WebhookList, summary="The caller's subscriptions")
    async def list_webhooks(runtime: RuntimeDep, principal: PrincipalDep) -> WebhookList:
        async with runtime.engine.connect() as conn:
            rows = await subscriptions.listed(conn, tables, principal.organisation)
        return WebhookList(items=[WebhookView(**_view(row)) for row in rows])

    def one(
        method: str, path: str, summary: str, **more: Any
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """A route about one of the caller's subscriptions (``404`` for anyone else's)."""
        return router.api_route(
            "/v1/webhooks/{webhook_id}" + path,
            methods=[method],
            summary=summary,
            responses=problem_responses(404, 422),
            **more,
        )

    @one(
        "GET",
        "",
        "A subscription: its status, position and latest attempts",
        response_model=WebhookView,
    )
    async def read_webhook(
        runtime: RuntimeDep, principal: PrincipalDep, webhook_id: UUID
    ) -> WebhookView:
        # One snapshot: the position and the attempts as one moment left them (a delivery
        # is recorded and the position moved in one commit).
        async with one_snapshot(runtime.engine) as conn:
            row = await subscriptions.get(conn, tables, principal.organisation, str(webhook_id))
            if row is None:
                raise not_found("webhook")
            deliveries = await subscriptions.recent_deliveries(conn, tables, row.id)
        return WebhookView(**_view(row, deliveries))

    @one("DELETE", "", "End a subscription", status_code=204, response_class=Response)
    async def delete_webhook(
        webhook_id: UUID, principal: PrincipalDep, runtime: RuntimeDep
    ) -> None:
        organisation = principal.organisation
        async with runtime.engine.begin() as conn:
            if not await subscriptions.remove(conn, tables, organisation, str(webhook_id)):
                raise not_found("webhook")

    @one(
        "POST",
        "/replay",
        "Deliver again from a cursor on; a failed subscription becomes active",
        response_model=WebhookView,
    )
    async def replay_webhook(
        runtime: RuntimeDep,
        principal: PrincipalDep,
        webhook_id: UUID,
        start: Annotated[
            int,
            Query(
                alias="from", ge=1, le=MAX_CURSOR, description="The first cursor to deliver again."
            ),
        ],
    ) -> WebhookView:
        organisation = principal.organisation
        async with runtime.engine.begin() as conn:
            if not await subscriptions.replay(conn, tables, organisation, str(webhook_id), start):
                raise not_found("webhook")
            row = await subscriptions.get(conn, tables, organisation, str(webhook_id))
        assert row is not None
        runtime.companion(ChangeFeed).wake()
        return WebhookView(**_view(row))

    return router
