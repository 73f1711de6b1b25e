"""Decisions back to Kela through both services as real processes and the real broker: a
county tells Kela that it decided on supplementary assistance and made an activation plan for
a client; Kela's officer finds both by the client's identity code. Nothing of it in any log."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


async def test_a_countys_decisions_reach_kela_and_are_listed_for_the_client(
    start_silta, bodies, eventually
):
    async with start_silta(log_level="DEBUG") as silta:
        granted = bodies.decision_notice(decided_on="2026-03-10")
        code = granted["client"]["identity_code"]
        plan = bodies.decision_notice(
            client={"identity_code": code},
            decision_type="activation_plan",
            decided_on="2026-03-12",
            outcome=None,
        )
        ids = []
        for body in (granted, plan):
            response = await silta.municipality_http.post("/v1/decision-notices", json=body)
            assert response.status_code == 201, response.text
            assert code not in response.text
            ids.append(response.json()["id"])

        async def at_kela() -> list[dict[str, Any]]:
            response = await silta.kela_http.post(
                "/v1/decision-notices/search", json={"identity_code": code}
            )
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()["items"]
            assert len(items) == 2, "not both at Kela yet"
            return items

        found = await eventually(at_kela)
        assert [(item["id"], item["decision_type"], item["outcome"]) for item in found] == [
            (ids[1], "activation_plan", None),
            (ids[0], "supplementary_assistance", "granted"),
        ]
        assert {item["sender"] for item in found} == {"county-11"}

        async def receipted() -> None:
            listed = (await silta.municipality_http.get("/v1/decision-notices")).json()["items"]
            assert {i["id"] for i in listed if i["received_by_kela_at"]} == set(ids), "no receipt"

        await eventually(receipted)

        await silta.stop()
        logs = silta.log_events()
        assert 'POST /v1/decision-notices/search HTTP/1.1" 200' in logs["kela-side"]
        assert 'POST /v1/decision-notices HTTP/1.1" 201' in logs["municipality-side"]
        silta.assert_no_identity_code_in_logs()
