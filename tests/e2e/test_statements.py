"""Statements of social work and responsible workers across the bridge, through both services
as real processes and the real broker: county → Kela, and Kela's receipt back.

Both run at DEBUG, and afterwards no log line may hold an identity code: the statement paths
handle one on both sides (the statement itself, Kela's search by code, invalid codes over HTTP
and on the bus)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


async def test_a_statement_reaches_kela_is_listed_for_its_client_and_the_county_sees_the_receipt(
    start_silta, bus, bodies, eventually
):
    async with start_silta(log_level="DEBUG") as silta:
        mine, theirs = bodies.statement(), bodies.statement(topics=["special_circumstances"])
        code = mine["client"]["identity_code"]
        ids = {}
        for request in (mine, theirs):
            response = await silta.municipality_http.post("/v1/statements", json=request)
            assert response.status_code == 201, response.text
            ids[request["client"]["identity_code"]] = response.json()["id"]
            assert request["client"]["identity_code"] not in response.text

        async def search(identity_code: str) -> list[dict[str, Any]]:
            response = await silta.kela_http.post(
                "/v1/statements/search", json={"identity_code": identity_code}
            )
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()["items"]
            return items

        async def at_kela() -> list[dict[str, Any]]:
            found = await search(code)
            assert [item["id"] for item in found] == [ids[code]]
            return found

        [found] = await eventually(at_kela)
        assert found["sender"] == "county-11"
        assert found["statement"]["topics"] == ["move", "decision_period"]
        assert found["statement"]["author"]["name"] == "Sanna Sosiaalityöntekijä"
        other = theirs["client"]["identity_code"]

        async def other_at_kela() -> None:
            assert [item["id"] for item in await search(other)] == [ids[other]]

        await eventually(other_at_kela)

        async def receipted(statement_id: str) -> dict[str, Any]:
            response = await silta.municipality_http.get(f"/v1/statements/{statement_id}")
            assert response.status_code == 200, response.text
            view: dict[str, Any] = response.json()
            assert view["received_by_kela"] is True, "no receipt from Kela yet"
            return view

        for statement_id in ids.values():
            view = await eventually(lambda statement_id=statement_id: receipted(statement_id))
            assert view["received_by_kela_at"] is not None
        listed = (await silta.municipality_http.get("/v1/statements")).json()["items"]
        assert {item["id"] for item in listed} == set(ids.values())
        assert all(item["received_by_kela"] for item in listed)

        # Invalid codes, over HTTP on both sides and as poison on the bus, are refused quietly.
        bad = bodies.wrong_control_character(code)
        refused = await silta.kela_http.post("/v1/statements/search", json={"identity_code": bad})
        assert refused.status_code == 422
        refused = await silta.municipality_http.post(
            "/v1/statements", json=bodies.statement(client={"identity_code": bad})
        )
        assert refused.status_code == 422
        kela_side = (await silta.kela_http.get(f"/v1/statements/{ids[code]}")).json()
        poison = {
            "message_id": str(uuid.uuid4()),
            "kind": "statement",
            "schema_version": "1",
            "sender": "county-11",
            "recipient": "kela",
            "referral_id": None,
            "created_at": "2026-03-03T12:00:00+00:00",
            "purpose": "social_work_statement",
            "legal_basis": "Act on Social Assistance 1412/1997 §18",
            "payload": kela_side["statement"]
            | {"statement_id": str(uuid.uuid4()), "client": {"identity_code": bad}},
        }
        await bus.publish(
            json.dumps(poison).encode(), routing_key="statement.11", exchange="silta.county"
        )
        [parked] = await bus.take(f"{silta.kela.queue_name}.parked", 1)
        assert parked.headers["x-silta-reason"] == "payload.invalid"

        await silta.stop()
        logs = silta.log_events()
        assert 'POST /v1/statements/search HTTP/1.1" 200' in logs["kela-side"]
        assert 'POST /v1/statements HTTP/1.1" 201' in logs["municipality-side"]
        silta.assert_no_identity_code_in_logs(bad)


async def test_a_responsible_worker_named_and_changed_is_visible_at_kela_with_its_entry(
    any_silta, bodies, eventually
):
    silta = any_silta
    referral_id = await silta.send_and_deliver(bodies.notice_of_need())
    assert (await silta.set_status(referral_id, {"status": "accepted"})).status_code == 200

    entry_id = await silta.add_directory_entry(
        bodies.county_worker_entry(
            person_name="Pekka Sosiaaliohjaaja",
            role="sosiaaliohjaaja (social counsellor)",
            channels=[{"type": "phone", "value": "040 765 4321", "note": "Mon-Fri 9-11"}],
        )
    )

    path = f"/v1/referrals/{referral_id}/responsible-worker"
    first = bodies.responsible_worker()
    named = await silta.municipality_http.put(path, json=first)
    assert named.status_code == 201, named.text

    async def kela_shows(change: str) -> dict[str, Any]:
        worker = (await silta.kela_view(referral_id))["responsible_worker"]
        assert worker is not None, "no responsible worker at Kela yet"
        assert worker["change"] == change
        result: dict[str, Any] = worker
        return result

    worker = await eventually(lambda: kela_shows("named"))
    assert worker["worker"]["name"] == "Sanna Sosiaalityöntekijä"
    assert worker["directory_entry"] is None

    second = bodies.responsible_worker(
        entry_id,
        name="Pekka Sosiaaliohjaaja",
        title="sosiaaliohjaaja (social counsellor)",
        phone="040 765 4321",
        email="pekka.sosiaaliohjaaja@example.fi",
    )
    changed = await silta.municipality_http.put(path, json=second)
    assert changed.status_code == 200, changed.text
    assert [n["change"] for n in changed.json()["history"]] == ["named", "changed"]

    worker = await eventually(lambda: kela_shows("changed"))
    assert worker["worker"] == second["worker"]
    assert worker["directory_entry_id"] == entry_id
    assert worker["directory_entry"]["person_name"] == "Pekka Sosiaaliohjaaja"
    assert worker["directory_entry"]["channels"][0]["value"] == "040 765 4321"
    assert (await silta.kela_view(referral_id))["status"] == "accepted"
