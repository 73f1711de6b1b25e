"""``GET /v1/stats``: counts, medians, suppression and filters, exact on both databases.

The tests write controlled referrals and histories straight into the service's own tables
(through a second engine on the same database), so counts, medians and suppression can be
asserted exactly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from silta_platform.db import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.stats_rows import (
    OUTCOMES,
    STATUSES,
    T0,
    Referral,
    acked,
    group,
    shown,
    stats,
    values,
    write,
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The service's database, for writing rows the way the service would."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


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
    # the whole group of four: total, 9 statuses, 5 outcomes, 2 medians
    assert result["suppressed_cells"] == 17


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
    expected_hidden = (8 + 5) + (9 + 5 + 2)  # Helsinki: statuses, outcomes, medians
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
