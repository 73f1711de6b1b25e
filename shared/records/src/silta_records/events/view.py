"""One event as the feed answers it and a webhook delivers it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from silta_platform.db import as_utc
from sqlalchemy import Row


class EventView(BaseModel):
    """One event: ids, kinds and a status, never content."""

    cursor: int = Field(description="Position in this side's feed: grows with every event.")
    id: str = Field(description="The event's id (UUID): the same in the feed and a webhook.")
    occurred_at: datetime = Field(description="When the change happened (UTC).")
    kind: str = Field(
        description="`referral.sent`, `referral.delivered`, `referral.status_changed`, "
        "`acknowledgement.applied`, `responsible_worker.named`, `statement.sent`, "
        "`statement.received` or `statement.receipt`."
    )
    referral_id: str | None = Field(description="The referral concerned, if any.")
    statement_id: str | None = Field(description="The statement concerned, if any.")
    message_kind: str = Field(description="The referral's kind, or `statement`.")
    status: str | None = Field(description="The referral's status after the change, if any.")
    county_code: str = Field(description="The county concerned.")


def event_view(row: Row[Any]) -> EventView:
    return EventView(
        cursor=row.cursor,
        id=row.event_id,
        occurred_at=as_utc(row.occurred_at),
        kind=row.kind,
        referral_id=row.referral_id,
        statement_id=row.statement_id,
        message_kind=row.message_kind,
        status=row.status,
        county_code=row.county_code,
    )
