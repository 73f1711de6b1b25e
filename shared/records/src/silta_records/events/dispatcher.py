"""The webhook dispatcher: delivers each subscription's events in cursor order.

Safe with several replicas: a replica delivers to a subscription only while it holds the
subscription's claim (``claimed_by`` / ``claimed_until``, taken by a conditional ``UPDATE``
that only one replica's can win, on PostgreSQL and SQLite alike); a claim a dead replica left
expires ``CLAIM_SECONDS`` after its last attempt (each attempt renews it). A delivery is
retried with exponential back-off (``webhook_retry_seconds`` doubled each time, at most
``webhook_retry_max_seconds``); after ``webhook_max_attempts`` failed attempts the
subscription is ``failed`` and nothing more is sent until a replay
(``POST /v1/webhooks/{id}/replay``) makes it active again. At least once: a receiver may see
an event again (the same ``webhook-id``) after a crash between its answer and the record of
it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import Counter
from silta_messaging.availability import Outage, database_unavailable
from silta_platform.db import as_utc
from silta_platform.settings import ServiceSettings
from silta_protection.encryption import cipher_of
from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from silta_records.events.table import EventTables
from silta_records.events.view import event_view
from silta_records.events.webhooks import (
    ACTIVE,
    FAILED,
    UrlRefused,
    check_url,
    signature,
    webhook_secret_column,
)

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "silta_webhook_deliveries",
    "Webhook delivery attempts, by outcome (delivered, failed, refused_url, gave_up).",
    ["outcome"],
)
CLAIM_SECONDS = 120.0
"""How long a replica's claim on a subscription lasts (renewed by each pass)."""
CANDIDATES = 50
"""Subscriptions one pass looks at, at most."""
NONE_ACTIVE_SECONDS = 1.0
"""How long "no active subscription" is believed without asking the database again. Every
commit wakes the dispatcher; without this, a deployment with no webhooks would run a pass of
queries for each message, on SQLite holding the service's one connection."""


def retry_delay(settings: ServiceSettings, attempts: int) -> timedelta:
    seconds = settings.webhook_retry_seconds * 2.0 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.webhook_retry_max_seconds))


def delivery_body(event: Row[Any]) -> bytes:
    """What a receiver gets: the event as the feed shows it, Standard Webhooks' shape."""
    view = event_view(event)
    data = view.model_dump(mode="json")
    document = {"type": view.kind, "timestamp": data["occurred_at"], "data": data}
    return json.dumps(document, separators=(",", ":")).encode()


class WebhookDispatcher:
    def __init__(self, settings: ServiceSettings, engine: AsyncEngine, tables: EventTables):
        self._settings = settings
        self._engine = engine
        self._tables = tables
        self._secret = webhook_secret_column(tables.webhooks)
        self._me = str(uuid.uuid4())
        self._wake = asyncio.Event()
        self._stopping = False
        self._outage = Outage(log, "the webhook dispatcher")
        self._none_active_until = 0.0

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        timeout = httpx.Timeout(self._settings.webhook_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            while not self._stopping:
                self._wake.clear()
                busy = False
                if not await self._any_active():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), NONE_ACTIVE_SECONDS)
                    continue
                try:
                    busy = await self.deliver_once(client)
                except Exception as error:
                    if database_unavailable(error):
                        self._outage.failed(error)
                    else:
                        log.exception("webhook pass failed; trying again")
                else:
                    self._outage.recovered()
                if not busy:
                    idle = await self._idle_seconds()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), idle)

    async def _any_active(self) -> bool:
        """Whether any subscription is active (a "no" is kept `NONE_ACTIVE_SECONDS`)."""
        if time.monotonic() < self._none_active_until:
            return False
        hooks = self._tables.webhooks
        try:
            async with self._engine.connect() as conn:
                query = select(hooks.c.id).where(hooks.c.status == ACTIVE).limit(1)
                found = (await conn.execute(query)).first() is not None
        except Exception:
            return True  # the pass reports the database's trouble
        if not found:
            self._none_active_until = time.monotonic() + NONE_ACTIVE_SECONDS
        return found

    async def _idle_seconds(self) -> float:
        """Until the next retry falls due, or the poll for other replicas' events."""
        poll = self._settings.events_poll_seconds
        hooks = self._tables.webhooks
        try:
            async with self._engine.connect() as conn:
                backing_off = and_(hooks.c.status == ACTIVE, hooks.c.attempts > 0)
                query = select(func.min(hooks.c.next_attempt_at)).where(backing_off)
                due = (await conn.execute(query)).scalar()
        except Exception:
            return poll  # the next pass reports the database's trouble
        if due is None:
            return poll
        return max(0.0, min(poll, (as_utc(due) - datetime.now(UTC)).total_seconds()))

    async def deliver_once(self, client: httpx.AsyncClient) -> bool:
        """One pass: claim the subscriptions due, deliver what each has waiting. True if it
        delivered something (there may be more)."""
        claimed = await self._claim(datetime.now(UTC))
        results = await asyncio.gather(*(self._serve(client, row) for row in claimed))
        return any(results)

    async def _claim(self, now: datetime) -> list[Row[Any]]:
        hooks = self._tables.webhooks
        free = or_(hooks.c.claimed_until.is_(None), hooks.c.claimed_until < now)
        due = and_(hooks.c.status == ACTIVE, hooks.c.next_attempt_at <= now, free)
        events = self._tables.events
        async with self._engine.connect() as conn:
            # Only subscriptions with events after their position (of any county: one
            # whose counties have none is claimed, finds nothing and is let go).
            newest = (await conn.execute(select(func.max(events.c.cursor)))).scalar() or 0
            query = select(hooks.c.id).where(due, hooks.c.position < newest)
            ids = (
                (await conn.execute(query.order_by(hooks.c.next_attempt_at).limit(CANDIDATES)))
                .scalars()
                .all()
            )
        claimed = []
        for webhook_id in ids:
            async with self._engine.begin() as conn:
                taken = await conn.execute(
                    update(hooks)
                    .where(hooks.c.id == webhook_id, due)
                    .values(
                        claimed_by=self._me, claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
                    )
                )
                if taken.rowcount == 1:
                    row = (await conn.execute(select(hooks).where(hooks.c.id == webhook_id))).one()
                    claimed.append(row)
        return claimed

    async def _events(self, hook: Row[Any]) -> tuple[list[Row[Any]], int]:
        """The next events of ``hook``'s counties, and the newest cursor of any county then."""
        events = self._tables.events
        async with self._engine.connect() as conn:
            newest = (await conn.execute(select(func.max(events.c.cursor)))).scalar() or 0
            query = select(events).where(events.c.cursor > hook.position, events.c.cursor <= newest)
            if hook.counties is not None:
                query = query.where(events.c.county_code.in_(hook.counties.split(",")))
            limit = self._settings.webhook_batch_size
            rows = (await conn.execute(query.order_by(events.c.cursor).limit(limit))).all()
        return list(rows), int(newest)

    async def _serve(self, client: httpx.AsyncClient, hook: Row[Any]) -> bool:
        """Deliver ``hook``'s waiting events in order until one fails; then let it go."""
        delivered = 0
        try:
            secret = self._secret.open(cipher_of(self._settings), hook.secret, hook.id)
            waiting, newest = await self._events(hook)
            if not waiting:  # none of its counties': nothing to look at up to ``newest``
                await self._skip_to(hook.id, newest)
            for event in waiting:
                outcome, status_code, error = await self._post(client, hook.url, secret, event)
                if not await self._record(hook, event, outcome, status_code, error):
                    break
                delivered += 1
                if self._stopping:
                    break
        finally:
            await self._release(hook.id)
        return delivered > 0

    async def _skip_to(self, webhook_id: str, cursor: int) -> None:
        hooks = self._tables.webhooks
        async with self._engine.begin() as conn:
            await conn.execute(
                update(hooks)
                .where(
                    hooks.c.id == webhook_id,
                    hooks.c.claimed_by == self._me,
                    hooks.c.position < cursor,
                )
                .values(position=cursor)
            )

    async def _post(
        self, client: httpx.AsyncClient, url: str, secret: str, event: Row[Any]
    ) -> tuple[str, int | None, str | None]:
        try:
            await check_url(url, self._settings)  # again: the name may resolve elsewhere now
        except UrlRefused as refused:
            return "refused_url", None, refused.rule
        body = delivery_body(event)
        stamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": event.event_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature(secret, event.event_id, stamp, body),
        }
        try:
            answer = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return "failed", None, f"http.{type(error).__name__}"[:60]
        if 200 <= answer.status_code < 300:
            return "delivered", answer.status_code, None
        return "failed", answer.status_code, "http.status"

    async def _record(
        self, hook: Row[Any], event: Row[Any], outcome: str, code: int | None, error: str | None
    ) -> bool:
        """Record the attempt and move the subscription on (or back off, or give up); True
        if it was delivered."""
        hooks, now = self._tables.webhooks, datetime.now(UTC)
        mine = and_(hooks.c.id == hook.id, hooks.c.claimed_by == self._me)
        async with self._engine.begin() as conn:
            current = (
                await conn.execute(select(hooks.c.attempts, hooks.c.status).where(mine))
            ).first()
            if current is None or current.status != ACTIVE:
                return False  # deleted, replayed or claimed by another since: stop here
            attempt = current.attempts + 1
            await conn.execute(
                self._tables.deliveries.insert().values(
                    webhook_id=hook.id,
                    cursor=event.cursor,
                    event_id=event.event_id,
                    attempt=attempt,
                    attempted_at=now,
                    outcome=outcome,
                    status_code=code,
                    error=error,
                )
            )
            if outcome == "delivered":
                values: dict[str, Any] = {
                    "position": event.cursor,
                    "attempts": 0,
                    "last_error": None,
                }
            elif attempt >= self._settings.webhook_max_attempts:
                values = {"attempts": attempt, "status": FAILED, "last_error": error}
            else:
                values = {
                    "attempts": attempt,
                    "next_attempt_at": now + retry_delay(self._settings, attempt),
                    "last_error": error,
                }
            # Each attempt renews the claim: a long run of deliveries keeps it.
            values["claimed_until"] = now + timedelta(seconds=CLAIM_SECONDS)
            await conn.execute(update(hooks).where(mine).values(**values))
        DELIVERIES.labels(outcome).inc()
        if values.get("status") == FAILED:
            DELIVERIES.labels("gave_up").inc()
            log.warning(
                "webhook subscription failed after %d attempts",
                attempt,
                extra={"webhook_id": hook.id},
            )
        return outcome == "delivered"

    async def _release(self, webhook_id: str) -> None:
        hooks = self._tables.webhooks
        async with self._engine.begin() as conn:
            await conn.execute(
                update(hooks)
                .where(hooks.c.id == webhook_id, hooks.c.claimed_by == self._me)
                .values(claimed_by=None, claimed_until=None)
            )
