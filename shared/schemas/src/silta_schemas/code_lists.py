"""The code lists of the messages with their labels in Finnish, Swedish and English.

Both sides serve them at `GET /v1/code-lists` and the OpenAPI descriptions of the fields
list them (`described`). The closed lists follow their enums (a code on the wire is the
enum's value); the service-need checklist is configurable (`Checklist`): a deployment may
restrict the default items or add its own, and both sides refuse a code it does not list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Final

from pydantic import Field

from silta_schemas._base import Contract
from silta_schemas.code_labels import (
    CHECKLIST_LABELS,
    EVENT_LABELS,
    HOLD_REASON_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    SUPPORT_NEED_LABELS,
    TRIGGER_LABELS,
    Labels,
)
from silta_schemas.codes import HoldReason, SupportNeed, TriggerSituation
from silta_schemas.errors import RuleRefused
from silta_schemas.referral_status import Outcome, ProgressEvent, ReferralStatus

CHECKLIST_CODE_PATTERN: Final = r"^[a-z][a-z0-9_]{1,59}$"
"""A checklist code, also one a deployment adds: lower case, digits and underscores."""


class CodeListName(StrEnum):
    """The code lists, by the name `GET /v1/code-lists/{name}` takes."""

    SUPPORT_NEEDS = "support_needs"
    TRIGGERS = "triggers"
    STATUSES = "statuses"
    EVENTS = "events"
    OUTCOMES = "outcomes"
    HOLD_REASONS = "hold_reasons"
    SERVICE_NEED_CHECKLIST = "service_need_checklist"


class Code(Contract):
    """One code and its labels."""

    code: str = Field(description="The value on the wire; never changes.", examples=["2"])
    fi: str = Field(description="Label in Finnish.", examples=["Asuminen"])
    sv: str = Field(description="Label in Swedish.", examples=["Boende"])
    en: str = Field(description="Label in English.", examples=["Housing"])


class CodeList(Contract):
    """A code list: what it is for and its codes in order."""

    name: CodeListName = Field(description="The list's name.", examples=["support_needs"])
    description: str = Field(description="What the list codes, and where it is used.")
    codes: tuple[Code, ...] = Field(min_length=1, description="The codes in order, labelled.")


@dataclass(frozen=True)
class _Source:
    description: str
    codes: Sequence[str]
    labels: Mapping[str, Labels]


def _values(enum: type[Enum]) -> list[str]:
    return [str(member.value) for member in enum]


_CLOSED: Final[Mapping[CodeListName, _Source]] = {
    CodeListName.SUPPORT_NEEDS: _Source(
        "Support needs (tuen tarpeet) of Social Welfare Act 1301/2014 §11: `support_needs` "
        "of a notice of need.",
        _values(SupportNeed),
        SUPPORT_NEED_LABELS,
    ),
    CodeListName.TRIGGERS: _Source(
        "Why Kela refers the client: `trigger` of a notice of need.",
        _values(TriggerSituation),
        TRIGGER_LABELS,
    ),
    CodeListName.STATUSES: _Source(
        "Where a referral is in its lifecycle: `status`.", _values(ReferralStatus), STATUS_LABELS
    ),
    CodeListName.EVENTS: _Source(
        "What happened while a referral is in progress: `event`.",
        _values(ProgressEvent),
        EVENT_LABELS,
    ),
    CodeListName.OUTCOMES: _Source(
        "How a completed referral ended: `outcome`.", _values(Outcome), OUTCOME_LABELS
    ),
    CodeListName.HOLD_REASONS: _Source(
        "Why a referral is on hold: `hold_reason` (a code, never free text).",
        _values(HoldReason),
        HOLD_REASON_LABELS,
    ),
}
_CHECKLIST_DESCRIPTION: Final = (
    "Service-need checklist: the items Kela's officer identified, "
    "`service_need_checklist.items` of a notice of need (like the AVAIN indicator)."
)


@dataclass(frozen=True)
class Checklist:
    """The service-need checklist a deployment accepts: the default items it keeps (all of
    them unless `codes` names some) and the items it adds with their labels (`extra`)."""

    codes: Sequence[str] | None = None
    extra: Mapping[str, Labels] = field(default_factory=dict)

    @property
    def labels(self) -> Mapping[str, Labels]:
        kept = CHECKLIST_LABELS if self.codes is None else self._kept(self.codes)
        return {**kept, **self.extra}

    @staticmethod
    def _kept(codes: Iterable[str]) -> Mapping[str, Labels]:
        unknown = [code for code in codes if code not in CHECKLIST_LABELS]
        if unknown:
            # A configuration mistake: name the rule, never guess which codes were meant.
            raise ValueError("the checklist keeps codes that are not default items")
        return {code: CHECKLIST_LABELS[code] for code in codes}

    def check(self, items: Sequence[str], field_name: str) -> None:
        """Refuse the first item this deployment's checklist does not list."""
        accepted = self.labels
        for index, item in enumerate(items):
            if item not in accepted:
                raise RuleRefused(
                    "checklist.unknown_code",
                    "the service-need checklist of this deployment has no such item "
                    "(GET /v1/code-lists/service_need_checklist lists them)",
                    field=f"{field_name}[{index}]",
                )


DEFAULT_CHECKLIST: Final = Checklist()


def _build(name: CodeListName, source: _Source) -> CodeList:
    codes = tuple(
        Code(code=code, fi=fi, sv=sv, en=en)
        for code in source.codes
        for fi, sv, en in [source.labels[code]]
    )
    return CodeList(name=name, description=source.description, codes=codes)


def code_list(name: CodeListName, checklist: Checklist = DEFAULT_CHECKLIST) -> CodeList:
    """One code list; the checklist as this deployment accepts it."""
    if name == CodeListName.SERVICE_NEED_CHECKLIST:
        labels = checklist.labels
        return _build(name, _Source(_CHECKLIST_DESCRIPTION, list(labels), labels))
    return _build(name, _CLOSED[name])


def code_lists(checklist: Checklist = DEFAULT_CHECKLIST) -> list[CodeList]:
    """Every code list, in the order of `CodeListName`."""
    return [code_list(name, checklist) for name in CodeListName]


def described(name: CodeListName, intro: str) -> str:
    """A field's description: `intro`, then each code with its labels (for OpenAPI)."""
    lines = [
        f"- `{code.code}`: {code.en} (fi: {code.fi}; sv: {code.sv})"
        for code in code_list(name).codes
    ]
    return "\n".join([intro, "", *lines, "", f"(`GET /v1/code-lists/{name.value}`)"])
