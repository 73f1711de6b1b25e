"""County → Kela: the responsible worker (vastuutyöntekijä) of the referral in the envelope,
when the county names one or another. Work contact data only (see `silta_schemas.workers`)."""

from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from silta_schemas._base import Contract, with_examples
from silta_schemas.examples import RESPONSIBLE_WORKER_EXAMPLE, RESPONSIBLE_WORKER_REQUEST_EXAMPLE
from silta_schemas.purpose import Purpose
from silta_schemas.spec import BY_COUNTY, Grounds, KindSpec, ReferralLink, Route, to_kela
from silta_schemas.work_contact import WorkContact, check_reachable

COOPERATION_ON_A_SHARED_CLIENT = (
    "Social Welfare Act 1301/2014 §41 and §42; Act on Social Assistance 1412/1997 §14a: the "
    "responsible worker of a shared client (work contact data, no client data)"
)


class ResponsibleWorkerChange(StrEnum):
    """Whether a worker is named for the first time or replaces the one named before."""

    NAMED = "named"
    CHANGED = "changed"


class ResponsibleWorkerRequest(Contract):
    """What a county's client information system sends to name a referral's responsible
    worker (again, to change them)."""

    model_config = with_examples(RESPONSIBLE_WORKER_REQUEST_EXAMPLE)

    worker: WorkContact = Field(description="The responsible worker's work contact.")
    directory_entry_id: UUID | None = Field(
        default=None,
        description="The worker's entry in the county's own part of the contact directory, if "
        "any; it must exist and belong to the referral's county.",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        check_reachable(self.worker)
        return self


class ResponsibleWorker(Contract):
    """Bus payload, county → Kela: the responsible worker of the referral in the envelope.

    Work contact data only: the payload says nothing about the client or the case.
    """

    model_config = with_examples(RESPONSIBLE_WORKER_EXAMPLE)

    kind: Literal["responsible_worker"] = Field(description="Message kind discriminator.")
    named_at: AwareDatetime = Field(
        description="When the county named the worker; orders changes arriving out of order."
    )
    change: ResponsibleWorkerChange = Field(
        description="`named` for the first responsible worker, `changed` for a later one."
    )
    worker: WorkContact = Field(description="The responsible worker's work contact.")
    directory_entry_id: UUID | None = Field(
        default=None,
        description="The worker's entry in the county's part of the contact directory, if any.",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        check_reachable(self.worker)
        return self


SPEC = KindSpec(
    payload=ResponsibleWorker,
    route=Route(BY_COUNTY, to_kela, ReferralLink.REQUIRED),
    grounds=Grounds(Purpose.RESPONSIBLE_WORKER_NOTICE, COOPERATION_ON_A_SHARED_CLIENT),
)
