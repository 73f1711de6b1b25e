"""County → Kela: a statement of social work (sosiaalityön lausunto) on a client's basic social
assistance, about a client rather than a referral (see `silta_schemas.statements`)."""

from typing import Literal
from uuid import UUID

from pydantic import Field

from silta_schemas._base import with_examples
from silta_schemas.examples import STATEMENT_EXAMPLE, STATEMENT_REQUEST_EXAMPLE
from silta_schemas.parties import CountyCode
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_COUNTY, Grounds, KindSpec, ReferralLink, Route, to_kela
from silta_schemas.statement_parts import StatementContent

ASA_18 = "Act on Social Assistance 1412/1997 §18"


class StatementRequest(StatementContent):
    """What a county's client information system sends: `POST /v1/statements`."""

    model_config = with_examples(STATEMENT_REQUEST_EXAMPLE)

    county_code: CountyCode = Field(
        description="The county giving the statement; one this deployment serves."
    )
    referral_id: UUID | None = Field(
        default=None,
        description="The referral the statement concerns, if any: one Kela sent to this county. "
        "Null for a statement about a client before (or without) a referral.",
    )


class Statement(StatementContent):
    """Bus payload, county → Kela: a statement of social work. The envelope's `referral_id`
    is the referral it concerns, or null."""

    model_config = with_examples(STATEMENT_EXAMPLE)

    kind: Literal["statement"] = Field(description="Message kind discriminator.")
    statement_id: UUID = Field(description="The statement's id, shared by both sides.")


SPEC = KindSpec(
    payload=Statement,
    route=Route(BY_COUNTY, to_kela, ReferralLink.OPTIONAL),
    grounds=Grounds(Purpose.SOCIAL_WORK_STATEMENT, ASA_18),
)
