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

from silta_records.stats.api import stats_router
from silta_records.stats.figures import (
    ACKNOWLEDGED_STATUSES,
    CountCell,
    GroupStatistics,
    MedianCell,
    Statistics,
    StatsFilters,
)
from silta_records.stats.queries import compute_statistics
from silta_records.stats.suppression import GroupFigures, protect_group, suppress_line

__all__ = [
    "ACKNOWLEDGED_STATUSES",
    "CountCell",
    "GroupFigures",
    "GroupStatistics",
    "MedianCell",
    "Statistics",
    "StatsFilters",
    "compute_statistics",
    "protect_group",
    "stats_router",
    "suppress_line",
]
