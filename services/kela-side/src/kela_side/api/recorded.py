"""What Kela's cooperation-record endpoints (case managers, cooperation cases) share: running
a command whose rules about the record's state answer ``409``, and the stored row it left."""

from __future__ import annotations

from collections.abc import Collection
from types import SimpleNamespace
from typing import Any

from silta_platform.http import RuntimeDep
from silta_platform.problems import refusal
from silta_schemas.errors import RuleRefused

from kela_side.records import Recorded


async def handled(runtime: RuntimeDep, command: Any, conflicts: Collection[str]) -> Recorded:
    """The command's result; a rule in ``conflicts`` answers ``409`` naming it."""
    try:
        result: Recorded = await runtime.commands.handle(command)
    except RuleRefused as refused:
        if refused.rule not in conflicts:
            raise
        field = refused.field or "body"
        raise refusal(
            409, "conflict", "Not allowed now", field, refused.rule, refused.detail
        ) from None
    return result


def stored_row(recorded: Recorded) -> Any:
    """The row as the list views read it (by attribute)."""
    return SimpleNamespace(**recorded.row)
