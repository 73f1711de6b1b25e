"""Every data rule, end to end: Kela's API refuses the request naming field and rule and sends
nothing; the same content published straight onto the bus (a sender that skipped its own
validation) is parked by the county with the same rule. Then overdue listings and statistics
through both processes."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import referral_adapter

pytestmark = pytest.mark.e2e

Body = dict[str, Any]
ADDRESS = {"street": "Katu 1", "postal_code": "53100", "post_office": "Lappeenranta"}


def _set(path: str, value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def _drop(path: str) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[part]
        del target[last]

    return change


def _both(body: Body) -> None:
    body["consent"] = copy.deepcopy(body["basis"])  # a second basis field


def _address_under_non_disclosure(body: Body) -> None:
    body["client"]["address_non_disclosure"] = True
    body["client"]["contact"] = {"phone": None, "email": None, "address": ADDRESS}


def _contact_without_cover(body: Body) -> None:
    body["basis"]["covers"] = ["notice_of_need"]


def _reduction_with_consent(body: Body) -> None:
    body["basis"] = {"type": "consent"}


def _transfer_with_contact(body: Body) -> None:
    body["client"]["contact"] = {"phone": "+358 40 000 0000", "email": None, "address": None}


# (kind of body, change, rule the API and the county name)
RULES: list[tuple[str, Callable[[Body], None], str]] = [
    ("notice", _set("client.municipality_code", "478"), "routing.aland"),
    ("notice", _set("client.municipality_code", "999"), "routing.unknown_municipality"),
    ("notice", _set("client.identity_code", "131052-308U"), "identity_code.control_character"),
    ("notice", _address_under_non_disclosure, "client.address_non_disclosure"),
    ("notice", _contact_without_cover, "client.contact_not_covered"),
    (
        "notice",
        _set("description", "Her son 010101-123N also needs help."),
        "free_text.identity_code",
    ),
    ("notice", _set("description", "x" * 2001), "string_too_long"),
    ("notice", _drop("basis"), "missing"),
    ("notice", _both, "extra_forbidden"),
    ("notice", _set("basis.given_at", "2026-03-03T10:00:00+02:00"), "basis.consent_after_notice"),
    ("notice", _set("support_needs", []), "too_short"),
    ("notice", _set("support_needs", [11]), "enum"),
    ("notice", _set("trigger", "other"), "trigger.description_required"),
    ("reduction", _reduction_with_consent, "basis.not_allowed"),
    ("reduction", _set("reduction_percent", 30), "literal_error"),
    ("transfer", _transfer_with_contact, "client.contact_not_covered"),
    ("transfer", _set("expense_categories", ["other"]), "expense_description.required"),
]
IDS = [f"{kind}-{rule}" for kind, _, rule in RULES]


def _body(bodies: Any, kind: str) -> Body:
    if kind == "notice":
        body: Body = bodies.notice_of_need()
    elif kind == "reduction":
        body = bodies.basic_amount_reduction()
    else:
        body = bodies.application_transfer()
    return body


@pytest.mark.parametrize(("kind", "change", "rule"), RULES, ids=IDS)
async def test_kela_refuses_each_rule_and_the_county_parks_it(
    silta, bus, bodies, kind, change, rule
):
    body = _body(bodies, kind)
    # What went onto the bus, had Kela not checked: a valid message, then the change.
    envelope = json.loads(
        seal(
            referral_adapter.validate_python(body),
            sender=KELA,
            recipient=county_organisation("11"),
            referral_id=uuid4(),
        ).to_bytes()
    )
    change(body)
    response = await silta.kela_http.post("/v1/referrals", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert rule in {error["rule"] for error in response.json()["errors"]}
    assert await silta.kela_list() == []

    change(envelope["payload"])
    message_id = str(uuid4())
    await bus.publish(
        json.dumps(envelope).encode(), routing_key=f"{envelope['kind']}.11", message_id=message_id
    )
    [parked] = await bus.take(f"{silta.municipality.queue_name}.parked", 1)
    assert parked.message_id == message_id
    assert parked.headers["x-silta-reason"] == "payload.invalid"
    assert rule in parked.headers["x-silta-detail"]
    assert await silta.inbox() == []


async def test_overdue_referrals_are_listed_on_both_sides_until_the_county_reacts(
    start_silta, bodies, eventually
):
    async with start_silta() as silta:
        notice = await silta.send_and_deliver(bodies.notice_of_need())
        transfer = await silta.send_and_deliver(bodies.application_transfer())
        assert await silta.kela_list(overdue="true") == []
        # Time passes: both deadlines are behind us (as the clock would put them).
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat(" ")
        for process in silta.processes:
            path = process.settings["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
            with sqlite3.connect(path) as db:
                db.execute("UPDATE referrals SET due_at = ?", (past,))
        for listing in (silta.kela_list, silta.inbox):
            assert sorted(i["id"] for i in await listing(overdue="true")) == sorted(
                [notice, transfer]
            )
        # The county reacts to both; the notice is no longer overdue, the transfer is until
        # it is decided.
        for referral_id in (notice, transfer):
            assert (await silta.set_status(referral_id, {"status": "accepted"})).status_code == 200
        await silta.wait_kela_status(notice, "accepted")
        await silta.wait_kela_status(transfer, "accepted")
        for listing in (silta.kela_list, silta.inbox):
            assert [i["id"] for i in await listing(overdue="true")] == [transfer]


async def test_statistics_on_both_sides_count_without_personal_data(silta, bodies):
    ids = [await silta.send_and_deliver(bodies.notice_of_need()) for _ in range(10)]
    for referral_id in ids[:5]:
        assert (await silta.set_status(referral_id, {"status": "accepted"})).status_code == 200
    await silta.wait_kela_status(ids[4], "accepted")
    for client in (silta.kela_http, silta.municipality_http):
        response = await client.get("/v1/stats", params={"county": "11"})
        assert response.status_code == 200, response.text
        text = response.text
        assert all(code not in text for code in bodies.issued_identity_codes())
        [group] = [g for g in response.json()["groups"] if g["kind"] == "notice_of_need"]
        assert group["total"] == {"value": 10, "suppressed": False}
        assert group["by_status"]["accepted"] == {"value": 5, "suppressed": False}
        assert group["by_status"]["delivered"] == {"value": 5, "suppressed": False}
        assert [g["kind"] for g in response.json()["groups"]] == ["notice_of_need"]
