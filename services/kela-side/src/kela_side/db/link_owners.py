"""Whose the records a cooperation case links are, in Kela's database: SQL over the caller's
connection."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from silta_schemas.cooperation import CaseLink, LinkType
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.db.cooperation import CASE_MANAGERS, COOPERATION_CASES
from kela_side.db.statements import statements
from kela_side.db.tables import referrals

_TABLES: dict[LinkType, tuple[Table, str]] = {
    LinkType.REFERRAL: (referrals, "id"),
    LinkType.STATEMENT: (statements, "statement_id"),
    LinkType.CASE_MANAGER_PERIOD: (CASE_MANAGERS.table, "id"),
}


async def link_owners(
    conn: AsyncConnection, links: Iterable[CaseLink]
) -> dict[tuple[str, str], tuple[str | None, str]]:
    """(type, id) → (client key, county code) of each linked record Kela holds."""
    owners: dict[tuple[str, str], tuple[str | None, str]] = {}
    wanted: dict[LinkType, set[str]] = {}
    for link in links:
        if link.type in _TABLES:
            wanted.setdefault(link.type, set()).add(str(link.id))
    for link_type, ids in wanted.items():
        table, id_column = _TABLES[link_type]
        column: Any = table.c[id_column]
        query = select(column, table.c.client_key, table.c.county_code).where(
            column.in_(sorted(ids))
        )
        for row in await conn.execute(query):
            owners[(link_type.value, row[0])] = (row.client_key, row.county_code)
    return owners


async def open_cases(conn: AsyncConnection, client_key: str, county_code: str) -> list[str]:
    """The ids of the client's open cooperation cases with the county."""
    cases = COOPERATION_CASES.table
    query = select(cases.c.id).where(
        cases.c.client_key == client_key,
        cases.c.county_code == county_code,
        cases.c.closed_on.is_(None),
    )
    return [row.id for row in await conn.execute(query)]
