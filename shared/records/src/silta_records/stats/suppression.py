"""Small-cell suppression, without I/O: what may be shown of a county × kind group."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from silta_schemas.codes import MessageKind
from silta_schemas.status import Outcome, ReferralStatus

from silta_records.stats.figures import (
    ACKNOWLEDGED_STATUSES,
    CountCell,
    GroupStatistics,
    MedianCell,
    S,
)

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


def suppressed_cells(group: GroupStatistics) -> int:
    cells: list[CountCell | MedianCell] = [
        group.total,
        *group.by_status.values(),
        *group.by_outcome.values(),
        group.median_seconds_to_first_acknowledgement,
        group.median_seconds_to_completion,
    ]
    return sum(1 for cell in cells if cell.suppressed)


# --- the queries -----------------------------------------------------------------------------
