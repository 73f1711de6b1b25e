"""Problem details never carry anything of the request: not an unknown field's name, not a path
parameter, not a discriminator's tag, with a token or without."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
from silta_schemas import examples

CODE = examples.EXAMPLE_IDENTITY_CODE
BIRTH = CODE[:6]


def no_echo(response: httpx.Response, *values: str) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    for value in (CODE, BIRTH, *values):
        assert value not in response.text, response.text
    problem: dict[str, Any] = response.json()
    return problem


async def test_an_unknown_field_is_reported_where_it_is_never_by_its_name(
    kela: httpx.AsyncClient,
) -> None:
    notice = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    notice[f"hetu {CODE}"] = "x"
    notice["client"]["spouse_ZQXJ"] = "y"
    response = await kela.post("/v1/referrals", json=notice)
    assert response.status_code == 422
    problem = no_echo(response, "spouse", "ZQXJ", "hetu")
    assert {(e["field"], e["rule"]) for e in problem["errors"]} == {
        ("body", "extra_forbidden"),
        ("client", "extra_forbidden"),
    }


async def test_a_tag_or_a_path_parameter_does_not_come_back(kela: httpx.AsyncClient) -> None:
    tagged = await kela.post("/v1/referrals", json={"kind": CODE})
    assert tagged.status_code == 422
    assert [e["rule"] for e in no_echo(tagged)["errors"]] == ["union_tag_invalid"]

    malformed = await kela.get(f"/v1/referrals/{CODE}")
    assert malformed.status_code == 422
    problem = no_echo(malformed)
    assert problem["instance"] == "/v1/referrals/{referral_id}"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("path.referral_id", "uuid_parsing")
    ]

    unknown = str(uuid.uuid4())
    missing = await kela.get(f"/v1/referrals/{unknown}")
    assert missing.status_code == 404
    assert no_echo(missing, unknown)["instance"] == "/v1/referrals/{referral_id}"

    nowhere = await kela.get(f"/v1/nowhere/{CODE}")
    assert nowhere.status_code == 404
    assert "instance" not in no_echo(nowhere)


async def test_without_a_token_nothing_of_the_path_comes_back_either(
    municipality: httpx.AsyncClient,
) -> None:
    anonymous = {"Authorization": ""}
    statement = str(uuid.uuid4())
    for method, path, parameter in (
        ("GET", f"/v1/referrals/{CODE}", CODE),
        ("POST", f"/v1/referrals/{CODE}/status", CODE),
        ("GET", f"/v1/statements/{statement}", statement),
    ):
        response = await municipality.request(method, path, headers=anonymous, json={})
        assert response.status_code == 401, response.text
        problem = no_echo(response, parameter)
        assert "{" in problem["instance"]  # the route's template
