"""County workers: their work contact, and the responsible worker (vastuutyöntekijä) of a
shared client, county → Kela, per referral.

When a county names the worker responsible for a client Kela referred (or names another),
it tells Kela who to contact: the worker's WORK contact only, and nothing about the client or
the case (the referral id travels in the envelope). Seed 004: Kela wastes time searching for
the responsible worker's contact details; knowing them is one of the fixes the research names.
"""

from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract
from silta_schemas.examples import (
    RESPONSIBLE_WORKER_EXAMPLE,
    RESPONSIBLE_WORKER_REQUEST_EXAMPLE,
)
from silta_schemas.parties import Email, Phone
from silta_schemas.text import ShortText


class WorkContact(Contract):
    """A county worker as the other side may contact them: name, title, unit and WORK
    channels (never a private phone or address)."""

    name: ShortText = Field(description="The worker's name.")
    title: ShortText = Field(
        description="Job title, e.g. `sosiaalityöntekijä` (social worker) or `sosiaaliohjaaja` "
        "(social counsellor)."
    )
    unit: ShortText = Field(
        description="The worker's unit, e.g. `Aikuissosiaalityö, Lappeenranta`."
    )
    phone: Phone | None = Field(default=None, description="Work phone number.")
    email: Email | None = Field(default=None, description="Work email address.")

    @property
    def has_channel(self) -> bool:
        return self.phone is not None or self.email is not None


def _reachable(worker: WorkContact) -> None:
    if not worker.has_channel:
        raise PydanticCustomError(
            "worker.channel_required",
            "worker must give a work phone or a work email: Kela needs a way to reach the "
            "responsible worker",
        )


class ResponsibleWorkerChange(StrEnum):
    """Whether a worker is named for the first time or replaces the one named before."""

    NAMED = "named"
    CHANGED = "changed"


class ResponsibleWorkerRequest(Contract):
    """What a county's client information system sends to name a referral's responsible
    worker (again, to change them)."""

    model_config = ConfigDict(json_schema_extra={"examples": [RESPONSIBLE_WORKER_REQUEST_EXAMPLE]})

    worker: WorkContact = Field(description="The responsible worker's work contact.")
    directory_entry_id: UUID | None = Field(
        default=None,
        description="The worker's entry in the county's own part of the contact directory, if "
        "any; it must exist and belong to the referral's county.",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        _reachable(self.worker)
        return self


class ResponsibleWorker(Contract):
    """Bus payload, county → Kela: the responsible worker of the referral in the envelope.

    Work contact data only: the payload says nothing about the client or the case.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [RESPONSIBLE_WORKER_EXAMPLE]})

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
        _reachable(self.worker)
        return self
