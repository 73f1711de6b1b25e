"""Consultations through both services as real processes and the real broker: Kela's officer
asks a county about a client with the client's consent and gets the answer; a social worker
asks Kela anonymously and gets it declined. No identity code in any log."""

from __future__ import annotations

from typing import Any

import pytest
from silta_schemas import cooperation_examples as ex

pytestmark = pytest.mark.e2e


async def test_a_question_goes_to_the_county_and_its_answer_comes_back(
    start_silta, bodies, eventually
):
    async with start_silta(log_level="DEBUG") as silta:
        code = bodies.new_identity_code()
        question = bodies.consultation(code)
        asked = await silta.kela_http.post("/v1/consultations", json=question)
        assert asked.status_code == 201, asked.text
        key = asked.json()["id"]

        async def at(client: Any, status: str) -> dict[str, Any]:
            response = await client.get(f"/v1/consultations/{key}")
            assert response.status_code == 200, response.text
            view: dict[str, Any] = response.json()
            assert view["status"] == status, view["status"]
            return view

        seen = await eventually(lambda: at(silta.municipality_http, "asked"))
        assert seen["question"]["client"]["identity_code"] == code
        answer = await silta.municipality_http.post(
            f"/v1/consultations/{key}/answer", json=bodies.consultation_answer()
        )
        assert answer.status_code == 200, answer.text
        view = await eventually(lambda: at(silta.kela_http, "answered"))
        assert view["answer"]["contact"]["name"] == "Sanna Sosiaalityöntekijä"

        anonymous = question | {
            "client": None,
            "purposes": ["benefit_matter"],
            "asker": ex.CONSULTATION_ANSWER_REQUEST_EXAMPLE["answerer"],
        }
        asked = await silta.municipality_http.post("/v1/consultations", json=anonymous)
        assert asked.status_code == 201, asked.text
        key = asked.json()["id"]
        await eventually(lambda: at(silta.kela_http, "asked"))
        declined = await silta.kela_http.post(
            f"/v1/consultations/{key}/answer",
            json={
                "outcome": "declined",
                "decline_reason": "Please call the authorities' line.",
                "answerer": ex.CONSULTATION_REQUEST_EXAMPLE["asker"],
            },
        )
        assert declined.status_code == 200, declined.text
        await eventually(lambda: at(silta.municipality_http, "declined"))

        await silta.stop()
        silta.assert_no_identity_code_in_logs(code)
