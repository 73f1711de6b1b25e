"""Kela → the sending county: Kela has stored a statement. Nothing personal."""

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from silta_schemas._base import Contract, with_examples
from silta_schemas.examples import STATEMENT_RECEIPT_EXAMPLE
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_KELA, Grounds, KindSpec, ReferralLink, Route, to_one_county

ASA_18_RECEIPT = "Act on Social Assistance 1412/1997 §18 (receipt only, no personal data)"

WRONG_RECIPIENT = "a statement receipt goes to the county that sent it"


class StatementReceipt(Contract):
    """Bus payload, Kela → the sending county: Kela has stored the statement. Nothing personal."""

    model_config = with_examples(STATEMENT_RECEIPT_EXAMPLE)

    kind: Literal["statement_receipt"] = Field(description="Message kind discriminator.")
    statement_id: UUID = Field(description="The statement Kela received.")
    received_at: AwareDatetime = Field(description="When Kela's side stored it.")


SPEC = KindSpec(
    payload=StatementReceipt,
    route=Route(BY_KELA, to_one_county(WRONG_RECIPIENT), ReferralLink.OPTIONAL),
    grounds=Grounds(Purpose.SOCIAL_WORK_STATEMENT, ASA_18_RECEIPT),
)
