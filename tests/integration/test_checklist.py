"""The service-need checklist of a notice of need: Kela's side takes only the items its
deployment accepts, the county's side parks a notice with an item it does not accept and
shows the items it holds with their labels."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples
from silta_schemas.referrals import referral_adapter

from tests.integration.conftest import running_kela, running_municipality
from tests.integration.peer import assert_problem, delivered, parked_reasons, publish


def _notice(*items: str) -> dict[str, Any]:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    body["service_need_checklist"] = {"items": list(items)}
    return body


async def test_kela_takes_known_items_and_refuses_unknown_and_repeated_ones(
    kela: httpx.AsyncClient,
) -> None:
    taken = await kela.post("/v1/referrals", json=_notice("housing_at_risk", "debt_problems"))
    unknown = await kela.post("/v1/referrals", json=_notice("housing_at_risk", "horoscope"))
    repeated = await kela.post("/v1/referrals", json=_notice("rent_arrears", "rent_arrears"))
    empty = await kela.post("/v1/referrals", json=_notice())

    assert taken.status_code == 201, taken.text
    assert_problem(
        unknown, 422, "service_need_checklist.items[1]", "checklist.unknown_code", "horoscope"
    )
    assert_problem(repeated, 422, "service_need_checklist.items", "checklist.duplicate")
    assert_problem(empty, 422, "service_need_checklist.items", "too_short")
    assert len((await kela.get("/v1/referrals")).json()["items"]) == 1


async def test_a_kela_deployment_accepts_only_the_items_it_keeps_and_adds(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer
) -> None:
    extra = {"gambling_signs": ("Viitteitä rahapelihaitoista", "Tecken på spelproblem", "Signs")}
    async with running_kela(
        database_url,
        amqp_url,
        dev_issuer,
        service_need_checklist=["housing_at_risk"],
        service_need_checklist_extra=extra,
    ) as kela:
        dropped = await kela.post("/v1/referrals", json=_notice("debt_problems"))
        added = await kela.post("/v1/referrals", json=_notice("gambling_signs", "housing_at_risk"))

    assert_problem(dropped, 422, "service_need_checklist.items[0]", "checklist.unknown_code")
    assert added.status_code == 201, added.text


async def test_the_county_shows_the_items_with_their_labels(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await delivered(bus, municipality, _notice("rent_arrears", "violence_signs"))
    without = await delivered(
        bus, municipality, copy.deepcopy(examples.BASIC_AMOUNT_REDUCTION_EXAMPLE)
    )

    view = (await municipality.get(f"/v1/referrals/{referral_id}")).json()
    assert view["service_need_checklist"] == [
        {"code": "rent_arrears", "fi": "Vuokrarästejä", "sv": "Hyresskulder", "en": "Rent arrears"},
        {
            "code": "violence_signs",
            "fi": "Viitteitä väkivallasta tai sen uhasta",
            "sv": "Tecken på våld eller hot om våld",
            "en": "Signs of violence or its threat",
        },
    ]
    assert view["referral"]["service_need_checklist"]["items"] == ["rent_arrears", "violence_signs"]
    assert (await municipality.get(f"/v1/referrals/{without}")).json()[
        "service_need_checklist"
    ] is None


async def test_a_county_parks_a_notice_with_an_item_it_does_not_accept(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer, bus: AbstractChannel
) -> None:
    async with running_municipality(
        database_url, amqp_url, dev_issuer, service_need_checklist=["rent_arrears"]
    ) as county:
        accepted = await delivered(bus, county, _notice("rent_arrears"))
        notice = referral_adapter.validate_python(_notice("rent_arrears", "debt_problems"))
        message_id = await publish(
            bus, notice, sender="kela", recipient="county-11", referral_id=uuid.uuid4()
        )

        reasons = await parked_reasons(bus, county, {message_id})
        listed = (await county.get("/v1/referrals")).json()["items"]

    assert reasons == {message_id: "checklist.unknown_code"}
    assert [item["id"] for item in listed] == [str(accepted)]
