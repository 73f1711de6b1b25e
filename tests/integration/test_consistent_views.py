"""A referral's view reads its row, its history and its responsible worker in several
statements; each view shows one moment. On PostgreSQL's READ COMMITTED a change committed
between those statements showed the old status beside a history that already held the new
one. The race is made certain here: the county's acceptance is committed at Kela right after
the view's first read (an engine hook that awaits it there), on the real broker and database.

Only PostgreSQL: on SQLite the view holds the service's one connection, so no commit can fall
between its reads (the acceptance would wait for it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kela_side.db.tables import referrals
from silta_platform.authorisation import Role, Side
from silta_platform.dev_tokens import DevIssuer
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

from tests.integration.conftest import Both, eventually, sides_on
from tests.integration.test_evidence import delivered_referral, runtime


async def _accepted_at_kela(sides: Both, engine: AsyncEngine, referral_id: str) -> None:
    """The county accepts the referral; returns once Kela has committed the change."""
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    answer = await sides.municipality.post(
        f"/v1/referrals/{referral_id}/status", json={"status": "accepted"}, headers=worker
    )
    assert answer.status_code == 200, answer.text

    async def applied() -> bool:
        async with engine.connect() as conn:
            query = select(referrals.c.status).where(referrals.c.id == referral_id)
            return (await conn.execute(query)).scalar_one() == "accepted"

    await eventually(applied)


async def test_a_referral_view_shows_its_status_beside_the_history_that_led_to_it(
    postgres_url: str, tmp_path: Path, amqp_url: str, dev_issuer: DevIssuer
) -> None:
    async with sides_on(postgres_url, tmp_path, amqp_url, dev_issuer) as sides:
        officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
        referral_id = await delivered_referral(sides)
        engine = runtime(sides.kela_app).engine
        hooked: list[str] = []

        def between_reads(*args: Any) -> None:
            statement: str = args[2]
            # The view's first read: the referral's row by its id (not a list, not the
            # consumer's own reads, which select no cancellation reason).
            if hooked or "cancellation_reason" not in statement or "WHERE" not in statement:
                return
            hooked.append(statement)
            await_only(_accepted_at_kela(sides, engine, referral_id))

        event.listen(engine.sync_engine, "after_cursor_execute", between_reads)
        try:
            view = (await sides.kela.get(f"/v1/referrals/{referral_id}", headers=officer)).json()
        finally:
            event.remove(engine.sync_engine, "after_cursor_execute", between_reads)
        after = (await sides.kela.get(f"/v1/referrals/{referral_id}", headers=officer)).json()

    assert hooked, "the acceptance was committed between the view's reads"
    assert view["status"] == "delivered"
    assert [change["status"] for change in view["history"]] == ["sent", "delivered"]
    assert after["status"] == "accepted"
    assert [change["status"] for change in after["history"]] == ["sent", "delivered", "accepted"]
