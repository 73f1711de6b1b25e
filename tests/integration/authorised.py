"""Authorisation test data: referrals and statements of fresh clients, and a referral
delivered to county 11 (both services: the ``both`` fixture)."""

from __future__ import annotations

import copy
from typing import Any

from silta_platform.authorisation import Role, Side
from silta_schemas import examples
from silta_schemas.identity import control_character

from tests.integration.conftest import Both, eventually

_serial = iter(range(100, 899))


def identity_code() -> str:
    digits = f"010290{next(_serial):03d}"
    return f"010290-{digits[6:]}{control_character(digits)}"


def notice() -> dict[str, Any]:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    body["client"]["identity_code"] = identity_code()
    return body


def statement() -> dict[str, Any]:
    body = copy.deepcopy(examples.STATEMENT_REQUEST_EXAMPLE)
    body["client"]["identity_code"] = identity_code()
    return body


async def delivered_referral(both: Both) -> str:
    """A notice Kela sent to county 11, once the county side has it."""
    sent = await both.kela.post(
        "/v1/referrals", json=notice(), headers=both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    )
    assert sent.status_code == 201, sent.text
    referral_id: str = sent.json()["id"]
    worker = both.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)

    async def arrived() -> bool:
        answer = await both.municipality.get(f"/v1/referrals/{referral_id}", headers=worker)
        return answer.status_code == 200

    await eventually(arrived)
    return referral_id


async def acknowledged_referral(both: Both) -> str:
    """A notice Kela sent to county 11, once Kela has applied the county's acknowledgement."""
    referral_id = await delivered_referral(both)
    officer = both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)

    async def acknowledged_at_kela() -> bool:
        answer = await both.kela.get(f"/v1/referrals/{referral_id}", headers=officer)
        return answer.status_code == 200 and answer.json()["status"] == "delivered"

    await eventually(acknowledged_at_kela)
    return referral_id
