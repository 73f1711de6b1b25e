"""Worklists on the county's side: assign a referral to a worker of the county, reassign it,
list "assigned to me" and "unassigned"; the history records the unit and the worker, and
neither the worker nor the assignment reaches Kela. In-process on the real broker and both
databases, Kela played on the bus."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from silta_platform.auth import MUNICIPALITY_AUDIENCE
from silta_platform.authorisation import COUNTY_ROLES
from silta_platform.dev_tokens import DevIssuer

from tests.integration.conftest import Acks, body, eventually
from tests.integration.directory_entries import county_entry
from tests.integration.peer import assert_problem, delivered
from tests.integration.test_kela_side import NOTICE, _status, acknowledge

SANNA, PEKKA = "sanna.sosiaalityontekija", "pekka.sosiaaliohjaaja"


def _as(issuer: DevIssuer, subject: str) -> dict[str, str]:
    token = issuer.mint(
        roles=sorted(COUNTY_ROLES),
        org="county-11",
        counties=["11", "90"],
        audience=MUNICIPALITY_AUDIENCE,
        subject=subject,
    )
    return {"Authorization": f"Bearer {token}"}


async def _ids(municipality: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    answer = await municipality.get("/v1/referrals", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


async def test_assign_reassign_and_the_worklists(
    municipality: httpx.AsyncClient, bus: AbstractChannel, dev_issuer: DevIssuer
) -> None:
    sanna, pekka = _as(dev_issuer, SANNA), _as(dev_issuer, PEKKA)
    first, second, third = [str(await delivered(bus, municipality)) for _ in range(3)]
    entry_id = str(uuid.uuid4())
    put = await municipality.put(f"/v1/directory/entries/{entry_id}", json=county_entry())
    assert put.status_code in (200, 201), put.text

    assigned = await municipality.put(
        f"/v1/referrals/{first}/assignee", json={"worker_id": SANNA, "directory_entry_id": entry_id}
    )
    to_pekka = await municipality.put(f"/v1/referrals/{second}/assignee", json={"worker_id": PEKKA})

    assert assigned.status_code == 201, assigned.text
    assert (assigned.json()["assigned_to"], assigned.json()["directory_entry_id"]) == (
        SANNA,
        entry_id,
    )
    assert to_pekka.status_code == 201
    assert await _ids(municipality, sanna, assigned_to="me") == {first}
    assert await _ids(municipality, pekka, assigned_to="me") == {second}
    assert await _ids(municipality, sanna, unassigned="true") == {third}
    assert await _ids(municipality, sanna, unassigned="false") == {first, second}

    reassigned = await municipality.put(
        f"/v1/referrals/{second}/assignee", json={"worker_id": SANNA}
    )
    assert reassigned.status_code == 200
    assert await _ids(municipality, sanna, assigned_to="me") == {first, second}
    assert await _ids(municipality, pekka, assigned_to="me") == set()
    shown = await municipality.get(f"/v1/referrals/{second}/assignee")
    assert shown.json()["assigned_to"] == SANNA
    inbox = (await municipality.get("/v1/referrals")).json()["items"]
    assert {item["id"]: item["assigned_to"] for item in inbox}[third] is None


async def test_bad_assignments_get_problem_details(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await delivered(bus, municipality)
    path = f"/v1/referrals/{referral_id}/assignee"
    other_county = str(uuid.uuid4())
    await municipality.put(f"/v1/directory/entries/{other_county}", json=county_entry("90"))

    assert_problem(
        await municipality.put(
            path, json={"worker_id": SANNA, "directory_entry_id": str(uuid.uuid4())}
        ),
        422,
        "directory_entry_id",
        "assignment.directory_entry_unknown",
    )
    assert_problem(
        await municipality.put(path, json={"worker_id": SANNA, "directory_entry_id": other_county}),
        422,
        "directory_entry_id",
        "assignment.directory_entry_other_organisation",
    )
    assert_problem(await municipality.put(path, json={}), 422, "worker_id", "missing")
    assert_problem(
        await municipality.put(path, json={"worker_id": SANNA, "extra": 1}),
        422,
        "body",
        "extra_forbidden",
    )
    rejected = await municipality.post(
        f"/v1/referrals/{referral_id}/status",
        json={"status": "rejected", "reason": "Not ours to do."},
    )
    assert rejected.status_code == 200
    assert_problem(
        await municipality.put(path, json={"worker_id": SANNA}),
        409,
        "status",
        "assignment.referral_closed",
    )
    assert (
        await municipality.put(f"/v1/referrals/{uuid.uuid4()}/assignee", json={"worker_id": SANNA})
    ).status_code == 404


async def test_the_history_records_unit_and_worker_and_kela_gets_the_unit_only(
    municipality: httpx.AsyncClient, bus: AbstractChannel, acks: Acks, dev_issuer: DevIssuer
) -> None:
    referral_id: UUID = await delivered(bus, municipality)
    unit = "Aikuissosiaalityö, Lappeenranta"

    changed = await municipality.post(
        f"/v1/referrals/{referral_id}/status",
        json={"status": "accepted", "unit": unit},
        headers=_as(dev_issuer, SANNA),
    )

    assert changed.status_code == 200, changed.text
    last = changed.json()["history"][-1]
    assert (last["changed_by"], last["changed_by_unit"], last["changed_by_worker"]) == (
        "county-11",
        unit,
        SANNA,
    )
    assert changed.json()["history"][0]["changed_by_worker"] is None  # delivered: automatic
    sent = [body(await acks.get()) for _ in range(2)]
    payload = sent[-1]["payload"]
    assert (payload["status"], payload["changed_by_unit"]) == ("accepted", unit)
    assert "changed_by_worker" not in payload
    assert SANNA not in str(sent)


async def test_kela_records_the_unit_of_each_county_change(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    created = await kela.post("/v1/referrals", json=NOTICE)
    referral_id = UUID(created.json()["id"])
    unit = "Aikuissosiaalityö, Imatra"
    for sequence, status, details in (
        (1, "delivered", {}),
        (2, "accepted", {"changed_by_unit": unit}),
    ):
        await acknowledge(bus, referral_id, sequence, status, **details)

    view = await eventually(lambda: _status(kela, referral_id, "accepted"))

    assert [(c["status"], c["changed_by"], c["changed_by_unit"]) for c in view["history"]] == [
        ("sent", "kela", None),
        ("delivered", "county-11", None),
        ("accepted", "county-11", unit),
    ]
    assert all("changed_by_worker" not in change for change in view["history"])
