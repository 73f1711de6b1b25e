"""Either way: changes to the sender's part of the contact directory (work contacts only).

Kela's part goes to every county at once, a county's part to Kela (see
`silta_schemas.directory` for the entries).
"""

from typing import Final, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from silta_schemas._base import Contract, check_no_repeats, with_examples
from silta_schemas.directory_entries import DirectoryEntry
from silta_schemas.examples import DIRECTORY_UPDATE_EXAMPLE
from silta_schemas.parties import ALL_COUNTIES, KELA
from silta_schemas.purpose import Purpose
from silta_schemas.rejection import MessageRejected
from silta_schemas.spec import BY_EITHER, Addressing, Grounds, KindSpec, ReferralLink, Route

MAX_UPDATE_ENTRIES: Final = 20
MAX_UPDATE_REMOVED: Final = 100
COOPERATION: Final = (
    "Social Welfare Act 1301/2014 §41; Act on Social Assistance 1412/1997 §14a: the authorities' "
    "duty to cooperate (work contact data, no client data)"
)


class DirectoryUpdate(Contract):
    """Bus payload, either direction: entries the sender created or replaced, entries removed.

    Every entry must belong to the sending organisation (checked by the envelope) and a
    receiver applies each change only if it is newer than what it holds.
    """

    model_config = with_examples(DIRECTORY_UPDATE_EXAMPLE)

    kind: Literal["directory_update"] = Field(description="Message kind discriminator.")
    entries: tuple[DirectoryEntry, ...] = Field(
        default=(),
        max_length=MAX_UPDATE_ENTRIES,
        description="Entries created or replaced, whole.",
    )
    removed: tuple[UUID, ...] = Field(
        default=(), max_length=MAX_UPDATE_REMOVED, description="Ids of entries removed."
    )
    changed_at: AwareDatetime = Field(
        description="When the change was made; orders removals against other changes."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.entries and not self.removed:
            raise PydanticCustomError(
                "directory.update_empty", "a directory update changes or removes something"
            )
        ids = [entry.entry_id for entry in self.entries] + list(self.removed)
        check_no_repeats(
            ids, "directory.duplicate_entry", "each entry may appear once in an update"
        )
        return self


def _to_the_other_side(addressing: Addressing, _: DirectoryUpdate) -> str | None:
    """Kela's part goes to every county, a county's part to Kela."""
    expected = ALL_COUNTIES if addressing.sender == KELA else KELA
    if addressing.recipient == expected:
        return None
    return f"a directory update from this sender goes to {expected}"


def _only_own_entries(addressing: Addressing, payload: DirectoryUpdate) -> None:
    """Each side maintains only its own part of the directory."""
    if any(entry.organisation != addressing.sender for entry in payload.entries):
        raise MessageRejected(
            "directory.wrong_owner",
            "every entry must belong to the sender: each side maintains only its own part",
        )


SPEC = KindSpec(
    payload=DirectoryUpdate,
    route=Route(BY_EITHER, _to_the_other_side, ReferralLink.NONE),
    grounds=Grounds(Purpose.COOPERATION_DIRECTORY, COOPERATION),
    check=_only_own_entries,
)
