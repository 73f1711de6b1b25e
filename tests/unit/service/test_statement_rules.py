"""The pure rules of Kela's side for statements and responsible workers; the county's are in
``tests/unit/municipality``."""

import pytest
from kela_side.domain.statements import check_referral_of_sender, check_same_sender
from silta_schemas.errors import RuleRefused


def test_kela_takes_only_what_concerns_a_referral_it_sent_to_the_sender() -> None:
    check_referral_of_sender("county-11", "county-11", "statement")
    check_same_sender("county-11", "county-11")
    for call, rule in [
        (lambda: check_referral_of_sender(None, "county-11", "statement"), "referral.unknown"),
        (
            lambda: check_referral_of_sender("county-90", "county-11", "responsible_worker"),
            "responsible_worker.wrong_county",
        ),
        (lambda: check_same_sender("county-90", "county-11"), "statement.duplicate_id"),
    ]:
        with pytest.raises(RuleRefused) as caught:
            call()
        assert caught.value.rule == rule
