"""A token's claims are matched in full and may hold no control character: ``org: "kela\\n"``
is not Kela, whatever its signature."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from silta_platform.auth import KELA_AUDIENCE
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples


@pytest.mark.parametrize(
    "claims",
    [
        {"org": "kela\n"},
        {"org": "kela\r\n"},
        {"org": "kela\x00"},
        {"sub": "officer\n2026-01-01 kela-side INFO forged line"},
        {"roles": ["kela_benefit_officer", "kela_cooperation_contact\n"]},
    ],
)
async def test_a_claim_with_a_trailing_newline_or_control_character_is_refused(
    kela: httpx.AsyncClient, dev_issuer: DevIssuer, claims: dict[str, Any]
) -> None:
    token = dev_issuer.mint(
        **{"roles": ["kela_benefit_officer"], "org": "kela", "audience": KELA_AUDIENCE, **claims}
    )
    headers = {"Authorization": f"Bearer {token}"}
    response = await kela.post(
        "/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE, headers=headers
    )
    assert response.status_code == 401, response.text
    assert response.json()["rule"] == "auth.claims_invalid"
    assert (await kela.get("/v1/referrals", headers=headers)).status_code == 401
