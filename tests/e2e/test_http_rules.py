"""What the HTTP APIs refuse, and that a refusal changes nothing on either side."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

PROBLEM_JSON = "application/problem+json"


async def test_a_forbidden_transition_gets_409_naming_the_rule_and_changes_nothing(silta, bodies):
    referral_id = await silta.send_and_deliver(bodies.notice_of_need())

    # delivered → completed skips accepted and in_progress.
    response = await silta.set_status(
        referral_id, {"status": "completed", "outcome": "client_declined"}
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["status"] == 409
    assert problem["errors"][0]["rule"] == "lifecycle.skip"
    assert problem["errors"][0]["field"] == "status"
    assert problem["current_status"] == "delivered"
    assert "accepted" in problem["allowed"]
    assert "completed" not in problem["allowed"]

    # Nothing changed at the county...
    county = await silta.municipality_view(referral_id)
    assert county["status"] == "delivered"
    assert [c["status"] for c in county["history"]] == ["delivered"]

    # ... nor at Kela: the next allowed change is the next thing Kela learns.
    accepted = await silta.set_status(referral_id, {"status": "accepted"})
    assert accepted.status_code == 200, accepted.text
    again = await silta.set_status(referral_id, {"status": "accepted"})
    assert again.status_code == 409, again.text
    assert again.json()["errors"][0]["rule"] == "lifecycle.repeated"

    at_kela = await silta.wait_kela_status(referral_id, "accepted")
    assert [(c["sequence"], c["status"]) for c in at_kela["history"]] == [
        (0, "sent"),
        (1, "delivered"),
        (2, "accepted"),
    ]

    # Outcome "decided" is for application transfers only: refused, nothing recorded.
    response = await silta.set_status(
        referral_id, {"status": "in_progress", "event": "client_reached"}
    )
    assert response.status_code == 200, response.text
    decided = await silta.set_status(referral_id, {"status": "completed", "outcome": "decided"})
    assert decided.status_code == 422, decided.text
    assert decided.headers["content-type"].startswith(PROBLEM_JSON)
    assert [(e["field"], e["rule"]) for e in decided.json()["errors"]] == [
        ("outcome", "status.outcome_not_for_kind")
    ]
    assert (await silta.municipality_view(referral_id))["status"] == "in_progress"

    # A final status is final.
    response = await silta.set_status(
        referral_id, {"status": "completed", "outcome": "client_declined"}
    )
    assert response.status_code == 200, response.text
    after_end = await silta.set_status(referral_id, {"status": "rejected", "reason": "Too late."})
    assert after_end.status_code == 409, after_end.text
    assert after_end.json()["errors"][0]["rule"] == "lifecycle.terminal"
    at_kela = await silta.wait_kela_status(referral_id, "completed")
    assert [c["status"] for c in at_kela["history"]] == [
        "sent",
        "delivered",
        "accepted",
        "in_progress",
        "completed",
    ]
    assert at_kela["history"][-1]["outcome"] == "client_declined"
    silta.assert_no_identity_code_in_logs()


async def test_a_notice_with_a_wrong_control_character_is_422_and_nothing_is_sent(
    silta, bodies, eventually
):
    bad_code = bodies.wrong_control_character()
    notice = bodies.notice_of_need()
    notice["client"]["identity_code"] = bad_code

    response = await silta.kela_http.post("/v1/referrals", json=notice)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["status"] == 422
    assert {"field": "client.identity_code", "rule": "identity_code.control_character"} in [
        {"field": error["field"], "rule": error["rule"]} for error in problem["errors"]
    ]
    # Inputs are never echoed back: they may be personal data.
    assert bad_code not in response.text
    assert bodies.identity_code not in response.text

    # Nothing was stored at Kela, and nothing reached the county: a valid notice sent
    # afterwards is the only one that arrives.
    assert await silta.kela_list() == []
    sentinel = await silta.send_and_deliver(bodies.notice_of_need())
    assert [item["id"] for item in await silta.inbox()] == [sentinel]
    assert [item["id"] for item in await silta.kela_list()] == [sentinel]
    silta.assert_no_identity_code_in_logs(bad_code)


async def test_requests_the_apis_cannot_take_get_problem_details(silta):
    not_json = await silta.kela_http.post(
        "/v1/referrals",
        content=b'{"kind": "notice_of_need",',
        headers={"content-type": "application/json"},
    )
    assert not_json.status_code == 422, not_json.text
    assert not_json.headers["content-type"].startswith(PROBLEM_JSON)
    assert [(e["field"], e["rule"]) for e in not_json.json()["errors"]] == [
        ("body", "json_invalid")
    ]
    assert await silta.kela_list() == []

    unknown = "00000000-0000-4000-8000-000000000000"
    for response in (
        await silta.set_status(unknown, {"status": "accepted"}),
        await silta.municipality_http.get(f"/v1/referrals/{unknown}"),
        await silta.kela_http.get(f"/v1/referrals/{unknown}"),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert response.json()["status"] == 404
