"""``GET /v1/stats``: the filters, the scope of the caller, the answer."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from silta_platform.authorisation import PrincipalDep, Role
from silta_platform.http import RuntimeDep
from silta_platform.problems import FieldError, ProblemError, problem_responses
from silta_schemas.codes import MessageKind
from silta_schemas.routing import COUNTY_CODES
from sqlalchemy import Table

from silta_records.stats.figures import COUNTY_PATTERN, DEFINITIONS, Statistics, StatsFilters
from silta_records.stats.queries import compute_statistics


async def stats_filters(
    county: Annotated[
        str | None,
        Query(pattern=COUNTY_PATTERN, description="Only this county (`01`–`21`, Helsinki `90`)."),
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
            runtime.long_reads,  # a scan of every referral: off the event loop on SQLite
            referrals,
            history,
            start_column,
            min_cell=runtime.settings.stats_min_cell,
            filters=filters,
            counties=shown,
        )

    return router
