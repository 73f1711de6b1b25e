"""The bus counters' labels stay few and carry nothing a sender chose: a delivery's type is
counted under a kind only when the registry knows it, a reason only when it is a rule."""

from __future__ import annotations

from prometheus_client import REGISTRY
from silta_messaging.metrics import count_parked


def parked(kind: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "silta_messages_parked_total", {"kind": kind, "reason": reason}
    )
    return value or 0.0


def test_a_known_kind_and_rule_are_labels() -> None:
    before = parked("statement", "envelope.invalid_json")
    count_parked("statement", "envelope.invalid_json")
    assert parked("statement", "envelope.invalid_json") == before + 1


def test_what_a_sender_made_up_is_other() -> None:
    before = parked("other", "other")
    count_parked("131052-308T", "reason with 131052-308T in it")
    count_parked(None, "x" * 200)
    assert parked("other", "other") == before + 2
    exposition = b"".join(
        line.encode() for family in REGISTRY.collect() for line in str(family.samples)
    )
    assert b"131052-308T" not in exposition
