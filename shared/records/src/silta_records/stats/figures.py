"""What ``GET /v1/stats`` answers: closed code sets, numbers and dates, nothing personal."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from silta_schemas.codes import MessageKind
from silta_schemas.status import Outcome, ReferralStatus

S = ReferralStatus

WORKER_STATUSES = (S.ACCEPTED, S.REJECTED, S.FORWARDED, S.IN_PROGRESS, S.COMPLETED)
"""Statuses a county worker sets; the earliest of them is the first acknowledgement."""
ACKNOWLEDGED_STATUSES = frozenset(WORKER_STATUSES)
"""A referral currently in one of these has a first acknowledgement in its history."""

COUNTY_PATTERN = r"^[0-9]{2}$"
OUTCOMES = frozenset(o.value for o in Outcome)

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
        None, pattern=COUNTY_PATTERN, description="Only this county (`01`–`21`, `90`)."
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
        pattern=COUNTY_PATTERN,
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
