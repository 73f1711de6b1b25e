"""What a side plugs into its runtime (``silta_platform.runtime.BusWiring``) to protect data:
its access log, its message log, its sealed outbox and its retention maintenance; and the
routes that answer from those logs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import TypedDict

from fastapi import APIRouter
from silta_messaging.message_log import MessageLog
from silta_messaging.outbox import BodySeal
from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import AccessRecorder
from sqlalchemy.ext.asyncio import AsyncEngine

from silta_protection.access_log import access_log_router, record_access
from silta_protection.encryption import outbox_seal
from silta_protection.evidence import evidence_router, record_messages
from silta_protection.retention import RetentionTables, maintain


class Safeguards(TypedDict):
    record_accesses: AccessRecorder
    message_log: MessageLog
    outbox_seal: BodySeal
    maintenance: Callable[[AsyncEngine], Awaitable[None]]


def safeguards(settings: ServiceSettings, tables: RetentionTables) -> Safeguards:
    """The ``BusWiring`` hooks over a side's ``tables`` (those retention also purges)."""
    return Safeguards(
        record_accesses=lambda conn, accesses: record_access(conn, tables.access_log, accesses),
        message_log=lambda conn, messages: record_messages(conn, tables.message_log, messages),
        outbox_seal=outbox_seal(settings, tables.outbox),
        maintenance=lambda engine: maintain(engine, settings, tables),
    )


def safeguard_routers(
    tables: RetentionTables, organisation: str, counties: Collection[str] | None = None
) -> list[APIRouter]:
    """A client's access request to the access log, and the evidence export of the message
    log ``organisation`` keeps (``counties``: those a county's deployment serves)."""
    return [
        access_log_router(tables.access_log, counties=counties),
        evidence_router(tables.message_log, organisation),
    ]
