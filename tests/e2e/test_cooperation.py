"""Issue 12's message-carried cooperation, through both services as real processes and the
real broker: the service-need checklist of a notice of need, the address non-disclosure
(turvakielto) that sends the county only its county code, and a referral on hold with its
reason code and resumed."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


async def test_the_checklist_travels_with_the_notice_and_the_county_reads_its_labels(silta, bodies):
    notice = bodies.notice_of_need(
        service_need_checklist={"items": ["housing_at_risk", "long_term_unemployment"]}
    )

    referral_id = await silta.send_and_deliver(notice)

    view: dict[str, Any] = await silta.municipality_view(referral_id)
    assert view["referral"]["service_need_checklist"] == notice["service_need_checklist"]
    assert [(item["code"], item["fi"], item["sv"]) for item in view["service_need_checklist"]] == [
        (
            "housing_at_risk",
            "Asuminen uhattuna tai asunnottomuus",
            "Hotat boende eller bostadslöshet",
        ),
        ("long_term_unemployment", "Pitkäaikaistyöttömyys", "Långtidsarbetslöshet"),
    ]
