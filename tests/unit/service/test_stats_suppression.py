"""The small-cell rules of ``GET /v1/stats``, as pure functions: no cell below the minimum,
and no suppressed cell recomputable from what is shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from silta_records.stats import (
    ACKNOWLEDGED_STATUSES,
    CountCell,
    GroupFigures,
    GroupStatistics,
    protect_group,
    suppress_line,
)
from silta_schemas.codes import MessageKind
from silta_schemas.status import Outcome, ReferralStatus

S = ReferralStatus


def test_a_line_without_small_cells_is_shown_whole() -> None:
    assert suppress_line({"a": 0, "b": 5, "c": 12}, 5) == frozenset()


def test_one_small_cell_takes_the_smallest_other_and_the_zeros_with_it() -> None:
    assert suppress_line({"a": 3, "b": 9, "c": 6, "d": 0}, 5) == {"a", "c", "d"}


def test_complements_are_added_until_the_hidden_cells_hold_the_minimum() -> None:
    # 1 + 2 = 3 < 5: one more (the smallest shown, 5) makes 8
    assert suppress_line({"a": 1, "b": 2, "c": 5, "d": 7}, 5) == {"a", "b", "c"}
    # 2 + 3 = 5: enough, and there are two hidden cells
    assert suppress_line({"a": 2, "b": 3, "c": 5, "d": 7}, 5) == {"a", "b"}


def test_a_cell_named_last_is_a_complement_only_when_nothing_else_will_do() -> None:
    assert suppress_line({"a": 2, "b": 9, "c": 6}, 5, complement_last={"c"}) == {"a", "b"}
    assert suppress_line({"a": 2, "c": 6}, 5, complement_last={"c"}) == {"a", "c"}


def test_a_larger_minimum_is_honoured() -> None:
    assert suppress_line({"a": 9, "b": 20}, 10) == {"a", "b"}
    assert suppress_line({"a": 10, "b": 20}, 10) == frozenset()


def _figures(statuses: Mapping[S, int], outcomes: Mapping[Outcome, int]) -> GroupFigures:
    figures = GroupFigures()
    figures.by_status.update(statuses)
    figures.by_outcome.update(outcomes)
    figures.completed = statuses.get(S.COMPLETED, 0)
    figures.median_to_completion = 100.0 if figures.completed else None
    figures.acknowledged = sum(n for s, n in statuses.items() if s in ACKNOWLEDGED_STATUSES)
    figures.median_to_acknowledgement = 10.0 if figures.acknowledged else None
    return figures


def test_a_group_of_four_is_shown_only_as_suppressed() -> None:
    group = protect_group("11", MessageKind.NOTICE_OF_NEED, _figures({S.SENT: 4}, {}), 5)
    assert group.suppressed
    assert group.total == CountCell(value=None, suppressed=True)
    assert all(cell.value is None for cell in group.by_status.values())
    assert all(cell.value is None for cell in group.by_outcome.values())
    assert group.median_seconds_to_first_acknowledgement.suppressed
    assert group.median_seconds_to_completion.suppressed


def test_hiding_completed_hides_every_outcome_and_the_medians_that_count_on_it() -> None:
    figures = _figures({S.ACCEPTED: 2, S.COMPLETED: 8}, {Outcome.NO_NEED_FOUND: 8})
    group = protect_group("11", MessageKind.NOTICE_OF_NEED, figures, 5)
    assert group.total.value == 10
    assert group.by_status[S.COMPLETED].suppressed
    assert all(cell.suppressed for cell in group.by_outcome.values())
    assert group.median_seconds_to_completion.suppressed
    assert group.median_seconds_to_first_acknowledgement.suppressed


def test_nothing_to_measure_is_not_a_suppression() -> None:
    group = protect_group("90", MessageKind.NOTICE_OF_NEED, _figures({S.DELIVERED: 6}, {}), 5)
    assert group.median_seconds_to_first_acknowledgement.model_dump() == {
        "seconds": None,
        "suppressed": False,
    }
    assert group.median_seconds_to_completion.model_dump() == {
        "seconds": None,
        "suppressed": False,
    }


def _line_is_protected(cells: Mapping[Any, CountCell], counts: Mapping[Any, int], k: int) -> None:
    hidden = [key for key, cell in cells.items() if cell.suppressed]
    for key, cell in cells.items():
        if not cell.suppressed:
            assert cell.value == counts[key]
            assert cell.value == 0 or cell.value >= k  # no shown cell below the minimum
        else:
            assert cell.value is None
    if hidden:
        assert len(hidden) >= 2  # one hidden cell would be total minus the rest
        assert sum(counts[key] for key in hidden) >= k  # together they describe enough
        assert all(cells[key].suppressed for key in counts if counts[key] == 0)


@settings(max_examples=400, deadline=None)
@given(
    statuses=st.dictionaries(st.sampled_from(list(S)), st.integers(0, 14), max_size=8),
    outcome_weights=st.lists(st.integers(0, 4), min_size=5, max_size=5),
    k=st.sampled_from([5, 10]),
)
def test_no_suppressed_cell_can_be_recomputed(
    statuses: dict[S, int], outcome_weights: list[int], k: int
) -> None:
    completed = statuses.get(S.COMPLETED, 0)
    outcomes = _split(completed, outcome_weights)
    figures = _figures(statuses, outcomes)
    group = protect_group("11", MessageKind.NOTICE_OF_NEED, figures, k)
    total = sum(statuses.values())
    if total < k:
        assert group.suppressed
        return
    assert group.total.value == total
    _line_is_protected(group.by_status, figures.by_status, k)
    if group.by_status[S.COMPLETED].suppressed:
        assert all(cell.suppressed for cell in group.by_outcome.values())
    else:
        _line_is_protected(group.by_outcome, figures.by_outcome, k)
    _medians_are_proven(group, k)


def _split(total: int, weights: list[int]) -> dict[Outcome, int]:
    if total == 0 or sum(weights) == 0:
        return {Outcome.CLIENT_DECLINED: total}
    shares = [total * w // sum(weights) for w in weights]
    shares[0] += total - sum(shares)
    return dict(zip(Outcome, shares, strict=True))


def _medians_are_proven(group: GroupStatistics, k: int) -> None:
    shown = {s: cell.value for s, cell in group.by_status.items() if not cell.suppressed}
    if group.median_seconds_to_completion.seconds is not None:
        assert (shown.get(S.COMPLETED) or 0) >= k
    if group.median_seconds_to_first_acknowledgement.seconds is not None:
        assert sum(v or 0 for s, v in shown.items() if s in ACKNOWLEDGED_STATUSES) >= k


@pytest.mark.parametrize("n", [5, 6])
def test_medians_are_shown_from_the_minimum(n: int) -> None:
    figures = _figures({S.COMPLETED: n}, {Outcome.NO_NEED_FOUND: n})
    group = protect_group("11", MessageKind.NOTICE_OF_NEED, figures, 5)
    assert group.median_seconds_to_completion.seconds == 100.0
    assert group.median_seconds_to_first_acknowledgement.seconds == 10.0
