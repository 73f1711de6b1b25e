"""Kela → the sending county: Kela has stored a decision notice. Nothing personal."""

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from silta_schemas._base import Contract, with_examples
from silta_schemas.cooperation_examples import DECISION_NOTICE_RECEIPT_EXAMPLE
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_KELA, Grounds, KindSpec, ReferralLink, Route, to_one_county

RECEIPT_ONLY = "Act on Social Assistance 1412/1997 §14a (receipt only, no personal data)"


class DecisionNoticeReceipt(Contract):
    """Bus payload, Kela → the county that sent the notice: stored at Kela."""

    model_config = with_examples(DECISION_NOTICE_RECEIPT_EXAMPLE)

    kind: Literal["decision_notice_receipt"] = Field(description="Message kind discriminator.")
    notice_id: UUID = Field(description="The notice Kela received.")
    received_at: AwareDatetime = Field(description="When Kela's side stored it.")


SPEC = KindSpec(
    payload=DecisionNoticeReceipt,
    route=Route(
        BY_KELA,
        to_one_county("a receipt goes to the county that sent the notice"),
        ReferralLink.NONE,
    ),
    grounds=Grounds(Purpose.DECISION_NOTICE, RECEIPT_ONLY),
)
