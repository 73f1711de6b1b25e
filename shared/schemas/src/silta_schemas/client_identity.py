"""The client a message is about, named by the identity code alone (data minimisation)."""

from pydantic import Field

from silta_schemas._base import Contract
from silta_schemas.identity import IdentityCode


class IdentifiedClient(Contract):
    """The client: the personal identity code and nothing else."""

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )
