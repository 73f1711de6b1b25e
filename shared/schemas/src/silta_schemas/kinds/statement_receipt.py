"""Kela → the sending county: Kela has stored a statement. Nothing personal."""

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from silta_schemas._base import Contract
from silta_schemas.codes import MessageKind
from silta_schemas.examples import STATEMENT_RECEIPT_EXAMPLE
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_KELA, KindSpec, ReferralLink, to_one_county

ASA_18_RECEIPT = "Act on Social Assistance 1412/1997 §18 (receipt only, no personal data)"


class StatementReceipt(Contract):
    """Bus payload, Kela → the sending county: Kela has stored the statement. Nothing personal."""

    model_config = ConfigDict(json_schema_extra={"examples": [STATEMENT_RECEIPT_EXAMPLE]})

    kind: Literal["statement_receipt"] = Field(description="Message kind discriminator.")
    statement_id: UUID = Field(description="The statement Kela received.")
    received_at: AwareDatetime = Field(description="When Kela's side stored it.")


SPEC = KindSpec(
    kind=MessageKind.STATEMENT_RECEIPT,
    payload=StatementReceipt,
    senders=BY_KELA,
    recipient=to_one_county("a statement receipt goes to the county that sent it"),
    referral=ReferralLink.OPTIONAL,
    purpose=Purpose.SOCIAL_WORK_STATEMENT,
    legal_basis=ASA_18_RECEIPT,
)
