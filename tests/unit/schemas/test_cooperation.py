"""The cooperation kinds' own rules, applied on send and on receipt alike: what a
case-manager period and a cooperation case may carry, and to whom they go."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from silta_schemas import cooperation as co
from silta_schemas import cooperation_examples as ex
from silta_schemas.envelope import MessageRejected, seal


def rules_of(model: type[BaseModel], data: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {error["type"] for error in caught.value.errors()}


def period(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(ex.CASE_MANAGER_PERIOD_EXAMPLE) | changes


def case(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(ex.COOPERATION_CASE_EXAMPLE) | changes


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (period(action="ended"), "case_manager.ended_on"),
        (period(ended_on="2026-04-01"), "case_manager.ended_on"),
        (period(action="ended", ended_on="2027-01-01"), "case_manager.ended_on_outside_period"),
        (period(ends_on="2026-03-01"), "case_manager.period_order"),
        (period(recorded_at="2026-03-05T10:00:00+02:00"), "case_manager.consent_after"),
        (
            period(
                case_manager={k: v for k, v in ex.KELA_CASE_MANAGER.items() if k != "phone"}
                | {"email": None}
            ),
            "case_manager.channel_required",
        ),
        (period(client={"identity_code": "131052-308U"}), "identity_code.control_character"),
        (period(municipality_code="405"), "extra_forbidden"),
    ],
)
def test_a_case_manager_period_carries_only_what_its_rules_allow(
    data: dict[str, Any], rule: str
) -> None:
    assert rule in rules_of(co.CaseManagerPeriod, data)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (case(action="closed"), "cooperation_case.closed_on"),
        (case(closed_on="2026-06-01"), "cooperation_case.closed_on"),
        (case(action="closed", closed_on="2026-01-01"), "cooperation_case.closed_before_opened"),
        (
            case(links=[ex.COOPERATION_CASE_EXAMPLE["links"][0]] * 2),
            "cooperation_case.link_duplicate",
        ),
        (case(links=[{"type": "note", "id": str(uuid.uuid4())}]), "enum"),
        (
            case(links=[{"type": "referral", "id": str(uuid.uuid4()), "text": "x"}]),
            "extra_forbidden",
        ),
    ],
)
def test_a_cooperation_case_carries_ids_and_dates_only(data: dict[str, Any], rule: str) -> None:
    assert rule in rules_of(co.CooperationCase, data)


def test_both_go_from_kela_to_the_clients_county_only() -> None:
    for payload in (
        co.CaseManagerPeriod.model_validate(ex.CASE_MANAGER_PERIOD_EXAMPLE),
        co.CooperationCase.model_validate(ex.COOPERATION_CASE_EXAMPLE),
    ):
        envelope = seal(payload, sender="kela", recipient="county-11", referral_id=None)
        assert envelope.referral_id is None
        for sender, recipient in [("kela", "county-90"), ("county-11", "kela")]:
            with pytest.raises(MessageRejected):
                seal(payload, sender=sender, recipient=recipient, referral_id=None)
        with pytest.raises(MessageRejected):
            seal(payload, sender="kela", recipient="county-11", referral_id=uuid.uuid4())
