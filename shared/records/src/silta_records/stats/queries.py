"""Counting and timing referrals in a service's tables (SQL on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from silta_platform.db import one_snapshot
from silta_schemas.codes import MessageKind
from silta_schemas.status import Outcome, ReferralStatus
from sqlalchemy import ColumnElement, Subquery, Table, and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_records.stats.figures import OUTCOMES, WORKER_STATUSES, S, Statistics, StatsFilters
from silta_records.stats.suppression import GroupFigures, protect_group, suppressed_cells


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    if dialect == "sqlite":
        # julianday is exact to about 0.1 ms here; medians are rounded to milliseconds
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    raise NotImplementedError(f"statistics on {dialect}")


async def compute_statistics(
    db: AsyncConnection | AsyncEngine,
    referrals: Table,
    history: Table,
    start_column: str,
    *,
    min_cell: int = 5,
    filters: StatsFilters | None = None,
    counties: Collection[str] | None = None,
) -> Statistics:
    """Statistics of ``referrals`` (with their status ``history``), suppressed by ``min_cell``.

    ``start_column`` names the column of ``referrals`` the durations run from; ``counties``,
    if given, limits them to the counties a deployment serves. With an engine, everything is
    read in one transaction (on PostgreSQL, one snapshot: REPEATABLE READ).
    """
    filters = filters or StatsFilters()
    if isinstance(db, AsyncEngine):
        async with one_snapshot(db) as conn:
            return await _compute(
                conn, referrals, history, start_column, min_cell, filters, counties
            )
    return await _compute(db, referrals, history, start_column, min_cell, filters, counties)


async def _compute(
    conn: AsyncConnection,
    referrals: Table,
    history: Table,
    start_column: str,
    min_cell: int,
    filters: StatsFilters,
    counties: Collection[str] | None,
) -> Statistics:
    r = referrals.c
    start = r[start_column]
    scope: list[ColumnElement[bool]] = []
    if counties is not None:
        scope.append(r.county_code.in_(sorted(counties)))
    if filters.county is not None:
        scope.append(r.county_code == filters.county)
    if filters.kind is not None:
        scope.append(r.kind == filters.kind.value)
    if filters.since is not None:
        scope.append(start >= _midnight(filters.since))
    if filters.until is not None:
        scope.append(start < _midnight(filters.until + timedelta(days=1)))
    group_key = (r.county_code, r.kind)

    figures: dict[tuple[str, str], GroupFigures] = defaultdict(GroupFigures)
    by_status = (
        select(*group_key, r.status, func.count()).where(*scope).group_by(*group_key, r.status)
    )
    for county_code, kind, status, n in await conn.execute(by_status):
        figures[county_code, kind].by_status[ReferralStatus(status)] += n

    completed_entry = and_(history.c.referral_id == r.id, history.c.status == S.COMPLETED.value)
    by_outcome = (
        select(*group_key, history.c.outcome, func.count(distinct(r.id)))
        .select_from(referrals.join(history, completed_entry))
        .where(*scope)
        .group_by(*group_key, history.c.outcome)
    )
    for county_code, kind, outcome, n in await conn.execute(by_outcome):
        if (county_code, kind) in figures and outcome in OUTCOMES:
            figures[county_code, kind].by_outcome[Outcome(outcome)] += n

    dialect = conn.dialect.name
    for statuses, assign in (
        (WORKER_STATUSES, _assign_acknowledgement),
        ((S.COMPLETED,), _assign_completion),
    ):
        # per referral in scope: from its start to the earliest entry of ``statuses``
        reached = func.min(history.c.changed_at)
        durations = (
            select(*group_key, _seconds_between(dialect, start, reached).label("seconds"))
            .select_from(referrals.join(history, history.c.referral_id == r.id))
            .where(*scope, history.c.status.in_([s.value for s in statuses]))
            .group_by(r.id, *group_key, start)
            .subquery()
        )
        for county_code, kind, n, median in await conn.execute(_medians(durations)):
            if (county_code, kind) in figures:
                assign(figures[county_code, kind], int(n), float(median))

    groups = [
        protect_group(county_code, MessageKind(kind), group, min_cell)
        for (county_code, kind), group in sorted(figures.items())
    ]
    return Statistics(
        generated_at=datetime.now(UTC),
        min_cell=min_cell,
        filters=filters,
        suppressed_cells=sum(suppressed_cells(group) for group in groups),
        groups=groups,
    )


def _medians(durations: Subquery) -> Any:
    """Per county and kind: how many durations, and their median (portable SQL)."""
    d = durations.c
    partition = (d.county_code, d.kind)
    ranked = select(
        d.county_code,
        d.kind,
        d.seconds,
        func.row_number().over(partition_by=partition, order_by=d.seconds).label("position"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery()
    k = ranked.c
    middle = or_(k.position == (k.n + 1) // 2, k.position == (k.n + 2) // 2)
    return (
        select(k.county_code, k.kind, func.max(k.n), func.avg(k.seconds))
        .where(middle)
        .group_by(k.county_code, k.kind)
    )


def _assign_acknowledgement(group: GroupFigures, n: int, median: float) -> None:
    group.acknowledged, group.median_to_acknowledgement = n, median


def _assign_completion(group: GroupFigures, n: int, median: float) -> None:
    group.completed, group.median_to_completion = n, median


# --- HTTP ------------------------------------------------------------------------------------
