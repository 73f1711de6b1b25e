"""Statistics without personal data, the same on both sides: ``GET /v1/stats``.

Per wellbeing services county and referral kind: how many referrals are in each status, how
the completed ones ended, and the median times to the first acknowledgement by a county
worker and to completion. The response model has no field that could carry an identity code,
a name or free text: county codes, kinds, statuses and outcomes are closed code sets; the rest
are numbers, booleans and dates.

**Definitions.** A referral's *start* is a column of the service's ``referrals`` table: on the
Kela side ``created_at`` (when Kela stored and sent it: its ``sent`` entry, sequence 0), on the
municipality side ``received_at`` (when this side stored it: ``delivered``). *Time to first
acknowledgement* runs from the start to the earliest history entry a county worker set
(``accepted``, ``rejected``, ``forwarded``, ``in_progress``; ``completed`` only ever follows
those); *time to completion* from the start to the ``completed`` entry. Medians are in seconds;
of an even number of durations, the mean of the middle two. The ``since``/``until`` filters
select referrals by the date (UTC) of their start.

**Small cells.** ``min_cell`` (5 by default) is the smallest number of referrals a published
cell may describe:

1. A county × kind group with fewer than ``min_cell`` referrals is shown only as suppressed.
2. Primary suppression: a count from 1 to ``min_cell - 1`` is suppressed.
3. Complementary suppression, per *line* (cells whose sum is published or derivable: the
   status counts of a group add up to its total; its outcome counts add up to its
   ``completed`` count): if a line has a suppressed cell, further non-zero cells are
   suppressed, smallest first, until the suppressed cells of the line hold at least
   ``min_cell`` referrals together; then every zero in the line is suppressed too, so that no
   one can tell a suppressed cell from a zero or bound it from below. A suppressed cell can
   therefore never be recomputed from the total and the cells shown: at least two cells are
   hidden, together at least ``min_cell`` referrals, each possibly zero. ``completed`` is the
   last status chosen as a complement, because:
4. if the ``completed`` count is suppressed, every outcome cell is suppressed (the outcomes
   would add up to it).
5. A median is shown only if the cells shown already prove that it is computed from at least
   ``min_cell`` referrals (the completion median: ``completed`` shown and at least
   ``min_cell``; the acknowledgement median: the shown counts of ``accepted``,
   ``in_progress``, ``completed``, ``rejected`` and ``forwarded`` add up to at least
   ``min_cell``), so that showing it reveals nothing about a suppressed count.

A suppressed cell is ``null`` with ``"suppressed": true``; ``suppressed_cells`` counts them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from silta_platform.authorisation import PrincipalDep, Role
from silta_platform.http import RuntimeDep
from silta_platform.problems import FieldError, ProblemError, problem_responses
from silta_schemas.codes import MessageKind
from silta_schemas.routing import COUNTY_CODES
from silta_schemas.status import Outcome, ReferralStatus
from sqlalchemy import (
    ColumnElement,
    Subquery,
    Table,
    and_,
    distinct,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

S = ReferralStatus

WORKER_STATUSES = (S.ACCEPTED, S.REJECTED, S.FORWARDED, S.IN_PROGRESS, S.COMPLETED)
"""Statuses a county worker sets; the earliest of them is the first acknowledgement."""
ACKNOWLEDGED_STATUSES = frozenset(WORKER_STATUSES)
"""A referral currently in one of these has a first acknowledgement in its history."""

_COUNTY_PATTERN = r"^[0-9]{2}$"
_OUTCOMES = frozenset(o.value for o in Outcome)

DEFINITIONS = (
    "Per wellbeing services county and referral kind: counts by status and by outcome, and "
    "median times in seconds. **Start**: on the Kela side when Kela stored and sent the "
    "referral (`sent`, `created_at`); on the municipality side when this side received it "
    "(`delivered`, `received_at`). **Time to first acknowledgement**: from the start to the "
    "first status a county worker set (`accepted`, `rejected`, `forwarded` or `in_progress`). "
    "**Time to completion**: from the start to `completed`. "
    "**No personal data**: only code sets, numbers and dates. **Small cells**: a cell that "
    "would describe fewer than `min_cell` referrals (default 5) is `null` with "
    '`"suppressed": true`; a county × kind group smaller than that is shown only as '
    "suppressed. Where one cell of a line (the statuses adding up to the total, the outcomes "
    "adding up to `completed`) is suppressed, further cells are suppressed, smallest first, "
    "until the hidden cells hold at least `min_cell` referrals together, and the zeros of "
    "that line are hidden too, so no hidden cell can be recomputed from the others; if "
    "`completed` is hidden, all outcomes are. A median is shown only when the counts shown "
    "prove it describes at least `min_cell` referrals."
)


class StatsFilters(BaseModel):
    """The filters a statistics response was computed with."""

    model_config = ConfigDict(extra="forbid")

    county: str | None = Field(
        None, pattern=_COUNTY_PATTERN, description="Only this county (`01`–`21`, `90`)."
    )
    kind: MessageKind | None = Field(None, description="Only this kind of referral.")
    since: date | None = Field(None, description="Only referrals started on or after this date.")
    until: date | None = Field(
        None, description="Only referrals started on or before this date (inclusive)."
    )


class CountCell(BaseModel):
    """A number of referrals, or nothing if it would describe too few."""

    model_config = ConfigDict(extra="forbid")

    value: int | None = Field(description="Number of referrals; `null` when suppressed.")
    suppressed: bool = Field(description="True when the count is withheld (small-cell rule).")


class MedianCell(BaseModel):
    """A median duration in seconds, or nothing."""

    model_config = ConfigDict(extra="forbid")

    seconds: float | None = Field(
        description=(
            "Median in seconds (millisecond precision); `null` when suppressed or when the "
            "counts shown prove there is nothing to measure."
        )
    )
    suppressed: bool = Field(
        description=(
            "True when withheld: the counts shown do not prove at least `min_cell` referrals."
        )
    )


class GroupStatistics(BaseModel):
    """One county × kind."""

    model_config = ConfigDict(extra="forbid")

    county_code: str = Field(
        pattern=_COUNTY_PATTERN,
        description="Wellbeing services county (`01`–`21`, Helsinki `90`).",
    )
    kind: MessageKind = Field(description="Kind of referral.")
    suppressed: bool = Field(
        description="True when the group has fewer than `min_cell` referrals: nothing is shown."
    )
    total: CountCell = Field(description="Referrals in the group.")
    by_status: dict[ReferralStatus, CountCell] = Field(
        description="Referrals by current status; every status is listed."
    )
    by_outcome: dict[Outcome, CountCell] = Field(
        description="Completed referrals by outcome; every outcome is listed."
    )
    median_seconds_to_first_acknowledgement: MedianCell = Field(
        description="From the start to the first status a county worker set."
    )
    median_seconds_to_completion: MedianCell = Field(description="From the start to `completed`.")


class Statistics(BaseModel):
    """Statistics without personal data."""

    model_config = ConfigDict(extra="forbid")

    generated_at: datetime = Field(description="When these figures were computed.")
    min_cell: int = Field(
        description="Smallest number of referrals a shown cell describes (`STATS_MIN_CELL`)."
    )
    filters: StatsFilters = Field(description="The filters applied.")
    suppressed_cells: int = Field(
        description="How many cells (counts and medians) of this response are withheld."
    )
    groups: list[GroupStatistics] = Field(
        description="One entry per county × kind with at least one referral, in code order."
    )


# --- suppression: pure ---------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)


def suppress_line(
    counts: Mapping[K, int], min_cell: int, *, complement_last: Collection[K] = ()
) -> frozenset[K]:
    """The cells to withhold of a line of counts whose sum is known.

    Primary: every count from 1 to ``min_cell - 1``. Complementary: if any, further non-zero
    cells, smallest first (``complement_last`` after the others; ties in ``counts`` order),
    until the withheld cells sum to at least ``min_cell``; then every zero of the line.
    """
    hidden = {key for key, value in counts.items() if 0 < value < min_cell}
    if not hidden:
        return frozenset()
    order = {key: index for index, key in enumerate(counts)}
    candidates = sorted(
        (key for key, value in counts.items() if value > 0 and key not in hidden),
        key=lambda key: (key in complement_last, counts[key], order[key]),
    )
    for key in candidates:
        if sum(counts[k] for k in hidden) >= min_cell:
            break
        hidden.add(key)
    if sum(counts[k] for k in hidden) < min_cell:
        return frozenset(counts)  # the whole line is smaller than a cell: hide all of it
    hidden.update(key for key, value in counts.items() if value == 0)
    return frozenset(hidden)


@dataclass
class GroupFigures:
    """What the database says about one county × kind, before suppression."""

    by_status: dict[ReferralStatus, int] = field(
        default_factory=lambda: dict.fromkeys(ReferralStatus, 0)
    )
    by_outcome: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    acknowledged: int = 0
    median_to_acknowledgement: float | None = None
    completed: int = 0
    median_to_completion: float | None = None


def _count(value: int, hidden: bool) -> CountCell:
    return CountCell(value=None if hidden else value, suppressed=hidden)


_HIDDEN_MEDIAN = MedianCell(seconds=None, suppressed=True)


def _median(
    value: float | None, measured: int, proven: int, known_none: bool, min_cell: int
) -> MedianCell:
    if known_none:
        return MedianCell(seconds=None, suppressed=False)
    if proven >= min_cell and measured >= min_cell and value is not None:
        return MedianCell(seconds=round(value, 3), suppressed=False)
    return _HIDDEN_MEDIAN


def protect_group(
    county_code: str, kind: MessageKind, figures: GroupFigures, min_cell: int
) -> GroupStatistics:
    """Apply the small-cell rules to one group's figures."""
    total = sum(figures.by_status.values())
    if total < min_cell:
        return GroupStatistics(
            county_code=county_code,
            kind=kind,
            suppressed=True,
            total=_count(total, True),
            by_status={status: _count(0, True) for status in ReferralStatus},
            by_outcome={outcome: _count(0, True) for outcome in Outcome},
            median_seconds_to_first_acknowledgement=_HIDDEN_MEDIAN,
            median_seconds_to_completion=_HIDDEN_MEDIAN,
        )
    statuses = figures.by_status
    hidden_status = suppress_line(statuses, min_cell, complement_last={S.COMPLETED})
    if S.COMPLETED in hidden_status:
        hidden_outcome: frozenset[Outcome] = frozenset(Outcome)
    else:
        hidden_outcome = suppress_line(figures.by_outcome, min_cell)
    shown = {status: n for status, n in statuses.items() if status not in hidden_status}
    acknowledged_proven = sum(n for s, n in shown.items() if s in ACKNOWLEDGED_STATUSES)
    # Nothing to measure, provably: every status that may have an acknowledgement is shown 0.
    may_be_acknowledged = ACKNOWLEDGED_STATUSES | {S.CANCELLED}
    no_acknowledgement = all(shown.get(s) == 0 for s in may_be_acknowledged)
    return GroupStatistics(
        county_code=county_code,
        kind=kind,
        suppressed=False,
        total=_count(total, False),
        by_status={s: _count(n, s in hidden_status) for s, n in statuses.items()},
        by_outcome={o: _count(n, o in hidden_outcome) for o, n in figures.by_outcome.items()},
        median_seconds_to_first_acknowledgement=_median(
            figures.median_to_acknowledgement,
            figures.acknowledged,
            acknowledged_proven,
            no_acknowledgement and figures.acknowledged == 0,
            min_cell,
        ),
        median_seconds_to_completion=_median(
            figures.median_to_completion,
            figures.completed,
            shown.get(S.COMPLETED, 0),
            shown.get(S.COMPLETED) == 0 and figures.completed == 0,
            min_cell,
        ),
    )


def _suppressed_cells(group: GroupStatistics) -> int:
    cells: list[CountCell | MedianCell] = [
        group.total,
        *group.by_status.values(),
        *group.by_outcome.values(),
        group.median_seconds_to_first_acknowledgement,
        group.median_seconds_to_completion,
    ]
    return sum(1 for cell in cells if cell.suppressed)


# --- the queries -----------------------------------------------------------------------------


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
        async with db.connect() as conn:
            if db.dialect.name == "postgresql":
                await conn.execution_options(isolation_level="REPEATABLE READ")
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
        if (county_code, kind) in figures and outcome in _OUTCOMES:
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
        suppressed_cells=sum(_suppressed_cells(group) for group in groups),
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


async def stats_filters(
    county: Annotated[
        str | None,
        Query(pattern=_COUNTY_PATTERN, description="Only this county (`01`–`21`, Helsinki `90`)."),
    ] = None,
    kind: Annotated[MessageKind | None, Query(description="Only this kind of referral.")] = None,
    since: Annotated[
        date | None, Query(description="Only referrals started on or after this date (UTC).")
    ] = None,
    until: Annotated[
        date | None,
        Query(description="Only referrals started on or before this date (UTC, inclusive)."),
    ] = None,
) -> StatsFilters:
    errors = []
    if county is not None and county not in COUNTY_CODES:
        errors.append(
            FieldError(field="query.county", rule="county.unknown", message="no such county code")
        )
    if since is not None and until is not None and since > until:
        errors.append(
            FieldError(
                field="query.until",
                rule="stats.until_before_since",
                message="until is before since",
            )
        )
    if errors:
        detail = "; ".join(f"{e.field}: {e.rule}" for e in errors)
        raise ProblemError(
            422, "validation", "The request does not satisfy the schema", detail, errors
        )
    return StatsFilters(county=county, kind=kind, since=since, until=until)


def stats_router(
    referrals: Table,
    history: Table,
    start_column: str,
    *,
    counties: Collection[str] | None = None,
) -> APIRouter:
    """``GET /v1/stats`` over a service's ``referrals`` and status ``history`` tables."""
    if start_column not in referrals.c:
        raise ValueError(f"referrals has no column {start_column!r}")
    router = APIRouter(prefix="/v1/stats", tags=["statistics"])

    @router.get(
        "",
        response_model=Statistics,
        summary="Statistics without personal data, per county and kind",
        description=DEFINITIONS,
        responses=problem_responses(422),
    )
    async def read_statistics(
        runtime: RuntimeDep,
        principal: PrincipalDep,
        filters: Annotated[StatsFilters, Depends(stats_filters)],
    ) -> Statistics:
        shown = counties
        if counties is not None and Role.OPERATIONS not in principal.roles:
            # a county's unit lead sees their own counties; operations the whole deployment
            shown = frozenset(counties) & principal.counties
        return await compute_statistics(
            runtime.engine,
            referrals,
            history,
            start_column,
            min_cell=runtime.settings.stats_min_cell,
            filters=filters,
            counties=shown,
        )

    return router
