"""``GET /v1/code-lists`` on both sides: the codes in Finnish, Swedish and English, the
service-need checklist as the deployment configures it, and the labels in the OpenAPI."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from kela_side.settings import KelaSettings
from pydantic import ValidationError
from silta_platform.authorisation import Role, Side

from tests.integration.conftest import Both, running_kela, running_municipality

ALL_LISTS = [
    "support_needs",
    "triggers",
    "statuses",
    "events",
    "outcomes",
    "hold_reasons",
    "service_need_checklist",
]


def _labels(code_list: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {code["code"]: (code["fi"], code["sv"], code["en"]) for code in code_list["codes"]}


async def test_both_sides_serve_every_list_in_the_national_languages(both: Both) -> None:
    kela = await both.kela.get(
        "/v1/code-lists", headers=both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    )
    county = await both.municipality.get(
        "/v1/code-lists", headers=both.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    )

    assert kela.status_code == county.status_code == 200
    assert kela.json() == county.json()
    lists = {item["name"]: item for item in kela.json()["items"]}
    assert list(lists) == ALL_LISTS
    assert _labels(lists["support_needs"])["3"] == (
        "Taloudellinen tuki",
        "Ekonomiskt stöd",
        "Financial support",
    )
    assert _labels(lists["statuses"])["cancelled"] == ("Peruttu", "Återkallad", "Cancelled")
    assert _labels(lists["hold_reasons"])["awaiting_kela_decision"][1] == "Väntar på FPA:s beslut"
    assert all(
        code["fi"] and code["sv"] and code["en"]
        for item in lists.values()
        for code in item["codes"]
    )


async def test_one_list_and_an_unknown_name(municipality: httpx.AsyncClient) -> None:
    triggers = await municipality.get("/v1/code-lists/triggers")
    unknown = await municipality.get("/v1/code-lists/diagnoses")

    assert triggers.status_code == 200
    assert _labels(triggers.json())["basic_amount_reduced"][0] == "Perusosaa on alennettu"
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    [error] = unknown.json()["errors"]
    assert (error["field"], error["rule"]) == ("path.name", "enum")
    assert "diagnoses" not in unknown.text


async def test_a_deployment_restricts_and_extends_the_checklist(
    database_url: str, amqp_url: str, dev_issuer: Any
) -> None:
    extra = {
        "gambling_signs": (
            "Viitteitä rahapelihaitoista",
            "Tecken på spelproblem",
            "Signs of gambling harm",
        )
    }
    async with running_municipality(
        database_url,
        amqp_url,
        dev_issuer,
        service_need_checklist=["housing_at_risk", "rent_arrears"],
        service_need_checklist_extra=extra,
    ) as county:
        answer = await county.get("/v1/code-lists/service_need_checklist")

    assert answer.status_code == 200
    assert list(_labels(answer.json())) == ["housing_at_risk", "rent_arrears", "gambling_signs"]
    assert _labels(answer.json())["gambling_signs"][1] == "Tecken på spelproblem"


def test_a_checklist_setting_naming_no_default_item_is_refused() -> None:
    with pytest.raises(ValidationError, match="not default items"):
        KelaSettings(service_need_checklist=["no_such_item"])
    with pytest.raises(ValidationError, match="lower case"):
        KelaSettings(service_need_checklist_extra={"Bad Code": ("a", "b", "c")})


async def test_the_openapi_descriptions_list_the_codes_with_their_labels(
    database_url: str, amqp_url: str, dev_issuer: Any
) -> None:
    async with running_kela(database_url, amqp_url, dev_issuer) as kela:
        document = (await kela.get("/openapi.json")).json()

    schemas = document["components"]["schemas"]
    needs = schemas["NoticeOfNeed"]["properties"]["support_needs"]["description"]
    assert "`2`: Housing (fi: Asuminen; sv: Boende)" in needs
    statuses = str(schemas)
    assert "`in_progress`: In progress (fi: Työn alla; sv: Under arbete)" in statuses
