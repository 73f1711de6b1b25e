"""County workers: their work contact, and the responsible worker (vastuutyöntekijä) of a
shared client, county → Kela, per referral.

When a county names the worker responsible for a client Kela referred (or names another),
it tells Kela who to contact: the worker's WORK contact only, and nothing about the client or
the case (the referral id travels in the envelope). Seed 004: Kela wastes time searching for
the responsible worker's contact details; knowing them is one of the fixes the research names.
The message kind is `kinds.responsible_worker`; `workers` is the public place for both.
"""

from pydantic import Field
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract
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


def check_reachable(worker: WorkContact) -> None:
    """Kela needs a way to reach a responsible worker: a work phone or a work email."""
    if not worker.has_channel:
        raise PydanticCustomError(
            "worker.channel_required",
            "worker must give a work phone or a work email: Kela needs a way to reach the "
            "responsible worker",
        )
