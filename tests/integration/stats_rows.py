"""Statistics test data: controlled referrals and histories written straight into a side's
tables (as the service would), and what a ``GET /v1/stats`` answer may contain."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from kela_side.db import tables as kela_tables
from municipality_side.db import tables as municipality_tables
from silta_records.stats import CountCell, GroupStatistics, MedianCell, Statistics, StatsFilters
from silta_schemas import examples
from silta_schemas.codes import MessageKind
from sqlalchemy.ext.asyncio import AsyncEngine

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NAME = "Maija Meikäläinen"
REASON = "Asiakas Matti Virtanen muutti Ouluun"  # free text in a rejection: never in statistics
STATUSES = [
    "sent",
    "delivered",
    "accepted",
    "in_progress",
    "on_hold",
    "completed",
    "rejected",
    "forwarded",
    "cancelled",
]
OUTCOMES = [
    "client_relationship_started",
    "client_declined",
    "not_reached_after_attempts",
    "no_need_found",
    "decided",
]


@dataclass
class Referral:
    """A referral to write: where it went, when it started, what the county did and when.

    ``changes`` are (status, seconds after the start, outcome) of the county's worker
    changes; ``delivered`` comes first automatically.
    """

    county: str = "11"
    kind: str = "notice_of_need"
    start: datetime = T0
    changes: Sequence[tuple[str, float, str | None]] = field(default_factory=list)


def acked(seconds: float, *then: tuple[str, float, str | None], **where: Any) -> Referral:
    return Referral(changes=[("accepted", seconds, None), *then], **where)


async def write(engine: AsyncEngine, side: str, referrals: Sequence[Referral]) -> None:
    tables = kela_tables if side == "kela" else municipality_tables
    rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for referral in referrals:
        referral_id = str(uuid.uuid4())
        county = f"county-{referral.county}"
        payload = copy.deepcopy(
            examples.NOTICE_OF_NEED_EXAMPLE
            if referral.kind == "notice_of_need"
            else examples.BASIC_AMOUNT_REDUCTION_EXAMPLE
        )
        entries: list[tuple[str, datetime, str, str | None, str | None, str | None]] = []
        if side == "kela":
            entries.append(("sent", referral.start, "kela", None, None, None))
            entries.append(("delivered", referral.start + timedelta(seconds=1), county, *_no()))
        else:
            entries.append(("delivered", referral.start, county, None, None, None))
        for status, seconds, outcome in referral.changes:
            event = "client_reached" if status == "in_progress" else None
            reason = REASON if status in {"rejected", "forwarded"} else None
            at = referral.start + timedelta(seconds=seconds)
            entries.append((status, at, county, event, outcome, reason))
        first_sequence = 0 if side == "kela" else 1
        for sequence, (status, at, by, event, outcome, reason) in enumerate(
            entries, first_sequence
        ):
            history.append(
                {
                    "referral_id": referral_id,
                    "sequence": sequence,
                    "status": status,
                    "event": event,
                    "outcome": outcome,
                    "reason": reason,
                    "changed_at": at,
                    "changed_by": by,
                }
            )
        last_status, last_at = entries[-1][0], entries[-1][1]
        row: dict[str, Any] = {
            "id": referral_id,
            "kind": referral.kind,
            "county_code": referral.county,
            "status": last_status,
            "status_sequence": first_sequence + len(entries) - 1,
            "payload": payload,
            "updated_at": last_at,
        }
        if side == "kela":
            row.update(recipient=county, created_at=referral.start)
        else:
            row.update(sender="kela", message_id=str(uuid.uuid4()), received_at=referral.start)
        rows.append(row)
    async with engine.begin() as conn:
        await conn.execute(tables.referrals.insert(), rows)
        await conn.execute(tables.status_history.insert(), history)


def _no() -> tuple[None, None, None]:
    return None, None, None


async def stats(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/stats", params=params)
    assert response.status_code == 200, response.text
    assert_no_personal_data(response.text, response.json())
    result: dict[str, Any] = response.json()
    return result


def group(result: dict[str, Any], county: str, kind: str = "notice_of_need") -> dict[str, Any]:
    [found] = [g for g in result["groups"] if (g["county_code"], g["kind"]) == (county, kind)]
    return found


def values(cells: dict[str, dict[str, Any]]) -> dict[str, int | None]:
    return {key: cell["value"] for key, cell in cells.items()}


def shown(cells: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {key: cell["value"] for key, cell in cells.items() if not cell["suppressed"]}


_CODES = set(STATUSES) | set(OUTCOMES) | {kind.value for kind in MessageKind}
_FIELDS = {
    name
    for model in (Statistics, GroupStatistics, CountCell, MedianCell, StatsFilters)
    for name in model.model_fields
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def assert_no_personal_data(text: str, body: Any) -> None:
    """Every string in the response is a code, a field name or a date: nothing else fits."""
    for secret in (examples.EXAMPLE_IDENTITY_CODE, NAME, "Virtanen", "unemployment", "+358"):
        assert secret not in text
    for string in _strings(body):
        assert (
            string in _CODES
            or string in _FIELDS
            or re.fullmatch(r"\d{2}", string)
            or _ISO.match(string)
        ), string
