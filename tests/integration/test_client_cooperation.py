"""The deciding officer's view of one client's cooperation with the counties (issue 12,
item 1), in-process on the real broker and both databases; the test plays the counties."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from kela_side.db.tables import referrals
from silta_platform.runtime import Runtime
from silta_schemas import examples
from sqlalchemy import update

from tests.integration import directory_entries as directory
from tests.integration.conftest import eventually
from tests.integration.directory_entries import county_entry, stored
from tests.integration.peer import changed
from tests.integration.test_kela_side import acknowledge
from tests.integration.test_statements_kela_side import (
    IDENTITY_CODE,
    OTHER_CLIENT,
    naming,
    publish,
    statement,
)

PATH = "/v1/clients/cooperation"


def runtime_of(client: httpx.AsyncClient) -> Runtime:
    runtime: Runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    return runtime


async def glance(kela: httpx.AsyncClient, identity_code: str = IDENTITY_CODE) -> dict[str, Any]:
    response = await kela.post(PATH, json={"identity_code": identity_code})
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def send(kela: httpx.AsyncClient, body: dict[str, Any]) -> UUID:
    response = await kela.post("/v1/referrals", json=body)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def _named_worker(bus: AbstractChannel, referral_id: UUID) -> UUID:
    """The county's directory entry of a worker, then that worker named responsible."""
    entry_id, now = uuid.uuid4(), datetime.now(UTC)
    phone = [{"type": "phone", "value": "040 765 4321", "note": None}]
    entry = stored(
        county_entry(person_name="Pekka Sosiaaliohjaaja", channels=phone), str(entry_id), now
    )
    await directory.publish(bus, directory.update(entry, at=now), sender="county-11")
    worker = naming(now, "Pekka Sosiaaliohjaaja", str(entry_id))
    await publish(bus, worker, county="11", referral_id=referral_id)
    return entry_id


async def test_the_officer_sees_referrals_workers_and_statements_of_one_client_only(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    notice = await send(kela, examples.NOTICE_OF_NEED_EXAMPLE)
    other_client = changed(examples.NOTICE_OF_NEED_EXAMPLE)
    other_client["client"]["identity_code"] = OTHER_CLIENT
    theirs = await send(kela, other_client)
    await acknowledge(bus, notice, 1, "delivered")
    await acknowledge(bus, notice, 2, "accepted")
    entry_id = await _named_worker(bus, notice)
    ours = statement()
    await publish(bus, ours, county="11", referral_id=notice)
    await publish(bus, statement(identity_code=OTHER_CLIENT), county="11", referral_id=None)

    async def settled() -> dict[str, Any] | None:
        view = await glance(kela)
        referral = view["referrals"][0] if view["referrals"] else None
        ready = referral and referral["status"] == "accepted" and referral["responsible_worker"]
        return view if ready and view["statements"] else None

    view = await eventually(settled)
    assert [item["id"] for item in view["referrals"]] == [str(notice)]
    referral = view["referrals"][0]
    assert referral["county_code"] == "11"
    assert referral["recipient"] == "county-11"
    assert referral["kind"] == "notice_of_need"
    assert referral["overdue"] is False
    worker = referral["responsible_worker"]
    assert worker["directory_entry_id"] == str(entry_id)
    assert worker["directory_entry"]["channels"][0]["value"] == "040 765 4321"
    assert [item["id"] for item in view["statements"]] == [str(ours.statement_id)]
    assert view["statements"][0]["referral_id"] == str(notice)
    # tracking data and work contacts only: the statement's content is opened elsewhere
    assert "statement" not in view["statements"][0]
    assert IDENTITY_CODE not in str(view)

    async def other_settled() -> dict[str, Any] | None:
        # The other client's statement was published after ours: it may be consumed later.
        view = await glance(kela, OTHER_CLIENT)
        return view if view["statements"] else None

    other = await eventually(other_settled)
    assert [item["id"] for item in other["referrals"]] == [str(theirs)]
    assert len(other["statements"]) == 1
    nobody = await glance(kela, "311299-999E")
    assert nobody["referrals"] == []
    assert nobody["statements"] == []


async def test_closed_referrals_drop_out_after_the_recent_window_open_ones_never(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    open_one = await send(kela, examples.NOTICE_OF_NEED_EXAMPLE)
    closed_one = await send(kela, examples.BASIC_AMOUNT_REDUCTION_EXAMPLE)
    await acknowledge(bus, closed_one, 1, "delivered")
    await acknowledge(bus, closed_one, 2, "rejected", reason="Ei sosiaalihuollon asiakkuutta.")

    async def closed() -> bool:
        view = await glance(kela)
        return any(item["status"] == "rejected" for item in view["referrals"])

    await eventually(closed)
    # a year and more goes by for both referrals
    long_ago = datetime.now(UTC) - timedelta(days=400)
    async with runtime_of(kela).engine.begin() as conn:
        await conn.execute(update(referrals).values(updated_at=long_ago))

    view = await glance(kela)
    assert [item["id"] for item in view["referrals"]] == [str(open_one)]
    assert datetime.fromisoformat(view["since"]) > long_ago


async def test_every_item_shown_is_in_the_access_log_and_the_code_never_in_a_url(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    notice = await send(kela, examples.NOTICE_OF_NEED_EXAMPLE)
    ours = statement()
    await publish(bus, ours, county="11", referral_id=None)
    await eventually(lambda: _has_statements(kela))

    log = await kela.post("/v1/access-log/search", json={"identity_code": IDENTITY_CODE})
    before = len(log.json()["items"])
    await glance(kela)
    log = await kela.post("/v1/access-log/search", json={"identity_code": IDENTITY_CODE})
    new = log.json()["items"][: len(log.json()["items"]) - before]
    read = {(item["resource"], item["resource_id"], item["purpose"]) for item in new}
    assert ("referral", str(notice), "social_assistance.decision") in read
    assert ("statement", str(ours.statement_id), "social_assistance.decision") in read

    refused = await kela.post(PATH, json={"identity_code": "131052-308U"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "131052-308U" not in refused.text
    assert (await kela.get(f"{PATH}?identity_code={IDENTITY_CODE}")).status_code == 405


async def _has_statements(kela: httpx.AsyncClient) -> bool:
    return bool((await glance(kela))["statements"])
