"""``GET /v1/stats`` on both sides, in-process, on the real broker and both databases.

Most tests write controlled referrals and histories straight into the service's own tables
(through a second engine on the same database), so counts, medians and suppression can be
asserted exactly; two follow real referrals through the API and the bus.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from kela_side.db import tables as kela_tables
from municipality_side.db import tables as municipality_tables
from silta_platform.db import create_engine
from silta_records.stats import CountCell, GroupStatistics, MedianCell, Statistics, StatsFilters
from silta_schemas import examples
from silta_schemas.codes import MessageKind
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.conftest import eventually
from tests.integration.peer import deliver
from tests.unit.schemas.support import make_code

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NAME = "Maija Meikäläinen"
REASON = "Asiakas Matti Virtanen muutti Ouluun"  # free text in a rejection: never in statistics
STATUSES = [
    "sent",
    "delivered",
    "accepted",
    "in_progress",
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


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The service's database, for writing rows the way the service would."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


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


# --- counts and medians ------------------------------------------------------------------------


async def test_counts_and_medians_are_exact(kela: httpx.AsyncClient, db: AsyncEngine) -> None:
    # six referrals acknowledged after 1..6 minutes, completed after 1000..6000 s
    completed = [
        acked(60 * i, ("in_progress", 500, None), ("completed", 1000 * i, "no_need_found"))
        for i in range(1, 7)
    ]
    # five rejected after 10..50 s (odd count: the middle one), with free text as the reason
    rejected = [
        Referral(kind="basic_amount_reduction", changes=[("rejected", 10 * i, None)])
        for i in range(1, 6)
    ]
    # five only delivered to Helsinki: nothing to measure
    delivered = [Referral(county="90") for _ in range(5)]
    await write(db, "kela", completed + rejected + delivered)

    result = await stats(kela)

    assert result["min_cell"] == 5
    assert result["suppressed_cells"] == 0
    assert datetime.fromisoformat(result["generated_at"]) > T0
    assert [(g["county_code"], g["kind"]) for g in result["groups"]] == [
        ("11", "basic_amount_reduction"),
        ("11", "notice_of_need"),
        ("90", "notice_of_need"),
    ]
    done = group(result, "11")
    assert done["suppressed"] is False
    assert done["total"] == {"value": 6, "suppressed": False}
    assert values(done["by_status"]) == {s: 6 if s == "completed" else 0 for s in STATUSES}
    assert values(done["by_outcome"]) == {o: 6 if o == "no_need_found" else 0 for o in OUTCOMES}
    assert done["median_seconds_to_first_acknowledgement"] == {
        "seconds": 210.0,
        "suppressed": False,
    }
    assert done["median_seconds_to_completion"] == {"seconds": 3500.0, "suppressed": False}

    refused = group(result, "11", "basic_amount_reduction")
    assert shown(refused["by_status"])["rejected"] == 5
    assert refused["median_seconds_to_first_acknowledgement"]["seconds"] == 30.0
    assert refused["median_seconds_to_completion"] == {"seconds": None, "suppressed": False}

    waiting = group(result, "90")
    assert values(waiting["by_status"])["delivered"] == 5
    assert waiting["median_seconds_to_first_acknowledgement"] == {
        "seconds": None,
        "suppressed": False,
    }


async def test_the_first_acknowledgement_is_the_first_worker_status_after_delivery(
    municipality: httpx.AsyncClient, db: AsyncEngine
) -> None:
    # forwarded at 100..500 s; in progress straight after acceptance; a late second event
    await write(
        db,
        "municipality",
        [Referral(changes=[("forwarded", 100 * i, None)] if i <= 5 else []) for i in range(1, 11)]
        + [
            acked(7, ("in_progress", 8, None), ("in_progress", 9000, None), county="90")
            for _ in range(5)
        ],
    )

    result = await stats(municipality)

    forwarded = group(result, "11")
    assert values(forwarded["by_status"]) == {
        **dict.fromkeys(STATUSES, 0),
        "delivered": 5,
        "forwarded": 5,
    }
    assert forwarded["median_seconds_to_first_acknowledgement"]["seconds"] == 300.0
    helsinki = group(result, "90")
    assert helsinki["median_seconds_to_first_acknowledgement"]["seconds"] == 7.0
    assert helsinki["median_seconds_to_completion"] == {"seconds": None, "suppressed": False}


# --- small cells -------------------------------------------------------------------------------


async def test_four_referrals_are_suppressed_five_are_shown(
    municipality: httpx.AsyncClient, db: AsyncEngine
) -> None:
    await write(
        db,
        "municipality",
        [acked(60, county="11") for _ in range(4)] + [acked(60, county="90") for _ in range(5)],
    )

    result = await stats(municipality)

    four = group(result, "11")
    assert four["suppressed"] is True
    assert four["total"] == {"value": None, "suppressed": True}
    assert set(values(four["by_status"]).values()) == {None}
    assert set(values(four["by_outcome"]).values()) == {None}
    assert four["median_seconds_to_first_acknowledgement"] == {"seconds": None, "suppressed": True}
    assert four["median_seconds_to_completion"] == {"seconds": None, "suppressed": True}
    five = group(result, "90")
    assert five["suppressed"] is False
    assert five["total"] == {"value": 5, "suppressed": False}
    assert shown(five["by_status"]) == {**dict.fromkeys(STATUSES, 0), "accepted": 5}
    assert five["median_seconds_to_first_acknowledgement"] == {"seconds": 60.0, "suppressed": False}
    # the whole group of four: total, 8 statuses, 5 outcomes, 2 medians
    assert result["suppressed_cells"] == 16


async def test_a_suppressed_cell_cannot_be_recomputed_from_the_total(
    kela: httpx.AsyncClient, db: AsyncEngine
) -> None:
    working = [acked(100, ("in_progress", 200, None)) for _ in range(7)]
    waiting = [acked(100) for _ in range(2)]
    done = [
        acked(100, ("in_progress", 200, None), ("completed", 900, outcome))
        for outcome in ["client_relationship_started"] * 5 + ["client_declined"]
    ]
    # in Helsinki the only complement for 2 accepted is completed itself
    helsinki = [acked(50, county="90") for _ in range(2)] + [
        acked(50, ("in_progress", 60, None), ("completed", 70, "no_need_found"), county="90")
        for _ in range(8)
    ]
    await write(db, "kela", working + waiting + done + helsinki)

    result = await stats(kela)

    mixed = group(result, "11")
    assert mixed["total"]["value"] == 15
    # 2 accepted (primary), 7 in progress (complement, chosen before completed), zeros hidden
    assert shown(mixed["by_status"]) == {"completed": 6}
    assert 15 - 6 >= 5  # the hidden cells together hold at least five referrals
    # the outcomes add up to the shown 6: 1 declined (primary), 5 started (complement), zeros
    assert shown(mixed["by_outcome"]) == {}
    assert mixed["median_seconds_to_completion"] == {"seconds": 900.0, "suppressed": False}
    assert mixed["median_seconds_to_first_acknowledgement"]["seconds"] == 100.0

    forced = group(result, "90")
    assert forced["total"]["value"] == 10
    assert shown(forced["by_status"]) == {}
    assert shown(forced["by_outcome"]) == {}  # they would add up to the hidden completed
    # a median would prove completed >= 5 and so bound accepted: both withheld
    assert forced["median_seconds_to_completion"] == {"seconds": None, "suppressed": True}
    assert forced["median_seconds_to_first_acknowledgement"] == {
        "seconds": None,
        "suppressed": True,
    }
    expected_hidden = (7 + 5) + (8 + 5 + 2)  # Helsinki: statuses, outcomes, medians
    assert result["suppressed_cells"] == expected_hidden


# --- filters and scope ---------------------------------------------------------------------


async def test_filters_by_county_kind_and_dates(kela: httpx.AsyncClient, db: AsyncEngine) -> None:
    day = timedelta(days=1)
    await write(
        db,
        "kela",
        [Referral(start=T0) for _ in range(5)]
        + [Referral(start=T0 + day + timedelta(hours=15)) for _ in range(6)]  # 23:00 UTC
        + [Referral(start=T0 + 2 * day) for _ in range(7)]
        + [Referral(county="90", start=T0) for _ in range(8)]
        + [Referral(kind="basic_amount_reduction", start=T0) for _ in range(9)],
    )
    first = T0.date()

    def totals(result: dict[str, Any]) -> dict[tuple[str, str], int]:
        return {(g["county_code"], g["kind"]): g["total"]["value"] for g in result["groups"]}

    assert totals(await stats(kela)) == {
        ("11", "basic_amount_reduction"): 9,
        ("11", "notice_of_need"): 18,
        ("90", "notice_of_need"): 8,
    }
    assert totals(await stats(kela, county="90")) == {("90", "notice_of_need"): 8}
    assert totals(await stats(kela, kind="basic_amount_reduction")) == {
        ("11", "basic_amount_reduction"): 9
    }
    one_day = await stats(kela, county="11", kind="notice_of_need", since=first, until=first)
    assert totals(one_day) == {("11", "notice_of_need"): 5}
    assert one_day["filters"] == {
        "county": "11",
        "kind": "notice_of_need",
        "since": first.isoformat(),
        "until": first.isoformat(),
    }
    since_second = await stats(kela, county="11", kind="notice_of_need", since=first + day)
    assert totals(since_second) == {("11", "notice_of_need"): 13}
    until_second = await stats(kela, county="11", until=first + day)  # the whole day, inclusive
    assert totals(until_second) == {
        ("11", "basic_amount_reduction"): 9,
        ("11", "notice_of_need"): 11,
    }
    assert (await stats(kela, since=date(2027, 1, 1)))["groups"] == []


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"county": "99"}, "county", "county.unknown"),
        ({"county": "1"}, "county", "string_pattern_mismatch"),
        ({"kind": "gossip"}, "kind", "enum"),
        ({"since": "2026-03-05", "until": "2026-03-04"}, "until", "stats.until_before_since"),
        ({"since": "yesterday"}, "since", "date_from_datetime_parsing"),
    ],
)
async def test_invalid_filters_are_problems(
    kela: httpx.AsyncClient, params: dict[str, str], field: str, rule: str
) -> None:
    response = await kela.get("/v1/stats", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = [(e["field"], e["rule"]) for e in response.json()["errors"]]
    assert any(f.endswith(field) and r == rule for f, r in errors), errors


async def test_the_municipality_side_counts_only_the_counties_it_serves(
    municipality: httpx.AsyncClient, db: AsyncEngine
) -> None:
    # the test deployment serves 11 and 90; rows of another county are not its business
    await write(db, "municipality", [Referral(county="01") for _ in range(6)])
    await write(db, "municipality", [Referral(county="90") for _ in range(5)])

    result = await stats(municipality)
    assert [(g["county_code"], g["total"]["value"]) for g in result["groups"]] == [("90", 5)]
    assert (await stats(municipality, county="01"))["groups"] == []


# --- the real flow -------------------------------------------------------------------------


def _notice(number: int) -> dict[str, Any]:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    body["client"]["identity_code"] = make_code(date(1980, 1, 1) + timedelta(days=number), "-", 2)
    return body


async def test_referrals_sent_through_the_api_are_counted_without_personal_data(
    kela: httpx.AsyncClient,
) -> None:
    codes = []
    for number in range(5):
        body = _notice(number)
        codes.append(body["client"]["identity_code"])
        assert (await kela.post("/v1/referrals", json=body)).status_code == 201

    result = await stats(kela)

    [only] = result["groups"]
    assert only["kind"] == "notice_of_need"
    assert only["total"]["value"] == 5
    assert shown(only["by_status"])["sent"] == 5
    for code in codes:
        assert code not in str(result)
        assert code[:6] not in str(result)


async def test_referrals_delivered_over_the_bus_and_accepted_are_counted(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    ids = []
    for number in range(5):
        referral_id = await deliver(bus, _notice(number))
        ids.append(referral_id)

    async def all_delivered() -> dict[str, Any] | None:
        result = await stats(municipality)
        groups = result["groups"]
        return result if groups and groups[0]["total"]["value"] == 5 else None

    delivered = await eventually(all_delivered)
    assert shown(delivered["groups"][0]["by_status"])["delivered"] == 5
    for referral_id in ids:
        response = await municipality.post(
            f"/v1/referrals/{referral_id}/status", json={"status": "accepted"}
        )
        assert response.status_code == 200, response.text

    [accepted] = (await stats(municipality))["groups"]
    assert shown(accepted["by_status"]) == {**dict.fromkeys(STATUSES, 0), "accepted": 5}
    median = accepted["median_seconds_to_first_acknowledgement"]
    assert median["suppressed"] is False
    assert 0 <= median["seconds"] < 60


# --- the contract --------------------------------------------------------------------------


async def test_kela_sides_contract_has_no_field_for_personal_data(
    kela: httpx.AsyncClient,
) -> None:
    await assert_contract(kela)


async def test_municipality_sides_contract_has_no_field_for_personal_data(
    municipality: httpx.AsyncClient,
) -> None:
    await assert_contract(municipality)


async def assert_contract(client: httpx.AsyncClient) -> None:
    openapi = (await client.get("/openapi.json")).json()
    operation = openapi["paths"]["/v1/stats"]["get"]
    assert "first status a county worker set" in operation["description"]
    assert "suppressed" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} == {"county", "kind", "since", "until"}
    schemas = openapi["components"]["schemas"]
    for name in ("Statistics", "GroupStatistics", "CountCell", "MedianCell", "StatsFilters"):
        for prop, spec in schemas[name]["properties"].items():
            for option in spec.get("anyOf", [spec]):
                if option.get("type") == "string":
                    # a string is a code (pattern), or a date: never free text
                    assert "pattern" in option or option.get("format") in {"date", "date-time"}, (
                        name,
                        prop,
                    )
