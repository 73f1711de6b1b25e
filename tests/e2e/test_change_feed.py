"""The change feed between the two services as processes, over the real broker: a county's
system long-polls its feed and is told the notice was delivered; Kela's is told the county
acknowledged it. Neither feed carries the client's identity code or anything of the notice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.polling import eventually

pytestmark = pytest.mark.e2e


class Follower:
    """A client system following one side's feed with long polls, keeping what it saw."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cursor = 0
        self.events: list[dict[str, Any]] = []

    async def poll(self, wait: float) -> None:
        answer = await self.client.get("/v1/events", params={"after": self.cursor, "wait": wait})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        self.events.extend(page["events"])
        self.cursor = page["next_cursor"]

    def of(self, referral_id: str) -> list[tuple[str, str]]:
        return [(e["kind"], e["status"]) for e in self.events if e["referral_id"] == referral_id]


async def test_each_side_follows_a_referral_on_its_change_feed(silta, bodies):
    county, kela = Follower(silta.municipality_http), Follower(silta.kela_http)
    await county.poll(0)
    await kela.poll(0)
    notice = bodies.notice_of_need()
    referral_id = (await silta.send(notice))["id"]

    # The county's system waits on its feed (long polls) instead of polling the inbox.
    async def delivered() -> None:
        await county.poll(5)
        assert county.of(referral_id) == [("referral.delivered", "delivered")]

    # Kela's system sees its own sending, then the county's acknowledgement applied.
    async def acknowledged() -> None:
        await kela.poll(5)
        assert kela.of(referral_id) == [
            ("referral.sent", "sent"),
            ("acknowledgement.applied", "delivered"),
        ]

    await eventually(delivered)
    await eventually(acknowledged)
    for follower in (county, kela):
        assert {e["county_code"] for e in follower.events} == {"11"}
        assert {e["message_kind"] for e in follower.events} == {"notice_of_need"}
        assert notice["client"]["identity_code"] not in str(follower.events)
