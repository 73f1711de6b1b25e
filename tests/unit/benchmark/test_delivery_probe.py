"""The benchmark's probe of Kela's database counts what the services wrote, as they wrote it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from silta_messaging.timestamps import UtcDateTime
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert

from bench.databases import SqliteProbe


async def test_delivered_since_counts_only_the_referrals_created_from_then_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kela.db"
    referrals = Table(
        "referrals",
        MetaData(),
        Column("id", String, primary_key=True),
        Column("status", String),
        Column("created_at", UtcDateTime()),
    )
    since = datetime(2026, 12, 5, 21, 0, 0, 500, tzinfo=UTC)
    helsinki = timezone(timedelta(hours=2))  # the same instants, written from another zone
    rows = [
        ("before", "delivered", since - timedelta(microseconds=1)),
        ("at", "delivered", since.astimezone(helsinki)),
        ("after", "delivered", since + timedelta(hours=3)),
        ("after-sent", "sent", since + timedelta(seconds=1)),
    ]
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        referrals.create(conn)
        conn.execute(
            insert(referrals),
            [{"id": i, "status": s, "created_at": at} for i, s, at in rows],
        )
    engine.dispose()
    probe = SqliteProbe(path)
    try:
        assert await probe.delivered_count() == 3
        assert await probe.delivered_count(since) == 2
        assert await probe.delivered_count(since.astimezone(helsinki)) == 2
    finally:
        await probe.close()
