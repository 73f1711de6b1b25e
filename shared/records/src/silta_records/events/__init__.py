"""The change feed and webhooks, the same on both sides (issue 11, item 6).

Every change a side records (a referral sent, delivered or changing status, an
acknowledgement applied, a responsible worker named, a statement sent, received or
acknowledged) is also an event, written in the same transaction (``table``). Callers read
them with ``GET /v1/events`` (long-polled: ``feed``) or subscribe a URL (``api``,
``subscriptions``) that the dispatcher (``dispatcher``) POSTs each event to, signed
(``webhooks``). A side wires it with ``add_events`` (its tables), ``change_feed`` (its
runtime's companion) and ``events_router`` (its routes).
"""

from collections.abc import Callable

from silta_platform.settings import ServiceSettings
from sqlalchemy.ext.asyncio import AsyncEngine

from silta_records.events.api import events_router
from silta_records.events.feed import ChangeFeed, read_events
from silta_records.events.table import (
    EVENTS,
    STATEMENT_KIND,
    STATEMENT_RECEIPT,
    STATEMENT_RECEIVED,
    STATEMENT_SENT,
    Event,
    EventTables,
    add_events,
    record_events,
    statement_event,
)
from silta_records.events.view import EventView
from silta_records.events.webhooks import webhook_secret_column


def change_feed(tables: EventTables) -> Callable[[ServiceSettings, AsyncEngine], ChangeFeed]:
    """The runtime companion (``BusWiring.companions``) over a side's event tables."""
    return lambda settings, engine: ChangeFeed(settings, engine, tables)


__all__ = [
    "EVENTS",
    "STATEMENT_KIND",
    "STATEMENT_RECEIPT",
    "STATEMENT_RECEIVED",
    "STATEMENT_SENT",
    "ChangeFeed",
    "Event",
    "EventTables",
    "EventView",
    "add_events",
    "change_feed",
    "events_router",
    "read_events",
    "record_events",
    "statement_event",
    "webhook_secret_column",
]
