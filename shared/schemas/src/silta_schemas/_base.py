"""The base every contract model shares."""

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """Frozen, allow-listed message model.

    `extra="forbid"` is data minimisation: unknown fields are rejected, never dropped silently.
    `hide_input_in_errors` keeps identity codes and free text out of `str(ValidationError)`,
    which tends to end up in logs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
