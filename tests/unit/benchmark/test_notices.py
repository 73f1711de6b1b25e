"""The benchmark's notices: what ``--description`` sends must be a notice Kela accepts."""

import json

import pytest
from pydantic import TypeAdapter
from silta_schemas.examples import NOTICE_OF_NEED_EXAMPLE
from silta_schemas.referrals import ReferralRequest

from bench.cli import parse_args
from bench.load import notice_of_need, request_bodies
from bench.measure import sealed_notice


@pytest.mark.parametrize("chars", [60, 137, 1500, 2000])
def test_a_description_of_any_allowed_length_is_finnish_prose_kela_accepts(chars: int) -> None:
    notice = notice_of_need(chars)
    assert len(notice["description"]) <= chars
    assert len(notice["description"]) >= chars - 1  # a space cut at the end is stripped
    assert not notice["description"].isascii()  # ä and ö, as in any Finnish text
    request = TypeAdapter(ReferralRequest).validate_python(notice)
    assert request.description == notice["description"]


def test_without_a_description_the_example_is_sent_as_published() -> None:
    assert notice_of_need() == NOTICE_OF_NEED_EXAMPLE
    body = json.loads(request_bodies(5, 1)[0])
    assert body["description"] == NOTICE_OF_NEED_EXAMPLE["description"]


def test_the_raw_brokers_message_grows_with_the_description() -> None:
    assert len(sealed_notice(1500)) > len(sealed_notice()) + 1000


def test_a_description_longer_than_the_schema_allows_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--description", "2001"])
    assert parse_args(["--description", "1500"]).description == 1500
