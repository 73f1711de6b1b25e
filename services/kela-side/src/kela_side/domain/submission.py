"""Taking a new referral in: the rules it must pass, alone or in a group. Pure, no I/O.

A client has at most one open referral of a kind at a county, unless the request says why
another is needed (``new_referral_reason``). With an Idempotency-Key, the same request again
answers with the referral it created; the same key with another body is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from silta_schemas.code_lists import Checklist
from silta_schemas.errors import RuleRefused
from silta_schemas.referrals import NoticeOfNeed, ReferralRequest
from silta_schemas.status import ReferralStatus


class DuplicateReferral(RuleRefused):
    """The client already has an open referral of this kind at this county; the answer
    names it."""

    def __init__(self, existing_id: UUID, existing_status: ReferralStatus) -> None:
        super().__init__(
            "referral.duplicate_open",
            "required when the client already has an open referral of this kind at this county",
            field="new_referral_reason",
        )
        self.existing_id = existing_id
        self.existing_status = existing_status


class KeyTaken(Exception):
    """The Idempotency-Key is taken (by an earlier request, or one in the same group): the
    caller answers with what that request created."""


def check_request(request: ReferralRequest, checklist: Checklist) -> None:
    """What the schema cannot say about a referral Kela's case systems send: who sets
    ``forwarded_from``, and which service-need checklist items this deployment accepts."""
    if isinstance(request, NoticeOfNeed) and request.service_need_checklist is not None:
        checklist.check(request.service_need_checklist.items, "service_need_checklist.items")
    if request.forwarded_from is not None:
        raise RuleRefused(
            "forwarded_from.not_allowed",
            "forwarded_from is set by Kela's side when a county forwards a referral",
            field="forwarded_from",
        )


Slot = tuple[str, str, str]
"""Where only one referral may be open: the client's key, the kind, the county."""


@dataclass(frozen=True)
class OpenReferral:
    id: UUID
    status: ReferralStatus


@dataclass(frozen=True)
class Candidate:
    """A referral about to be stored: what the rules look at."""

    referral_id: UUID
    client_key: str
    kind: str
    county_code: str
    new_referral_reason: str | None
    idempotency_key: str | None

    @property
    def slot(self) -> Slot:
        return (self.client_key, self.kind, self.county_code)


def refuse_duplicate(existing: OpenReferral | None) -> None:
    """Refuse a referral without ``new_referral_reason`` when ``existing`` is open in its slot."""
    if existing is not None:
        raise DuplicateReferral(existing.id, existing.status)


def admit(
    candidates: Sequence[Candidate],
    taken_keys: set[str],
    open_referrals: Mapping[Slot, OpenReferral],
) -> list[Exception | None]:
    """Decide a group of new referrals in order, as if they came one at a time: ``None`` for
    each to store, else why not (``KeyTaken``, ``DuplicateReferral``).

    ``taken_keys`` are the Idempotency-Keys stored already, ``open_referrals`` the oldest
    open referral in each slot; what this group stores counts for the candidates after it.
    """
    taken = set(taken_keys)
    open_now = dict(open_referrals)
    verdicts: list[Exception | None] = []
    for candidate in candidates:
        key = candidate.idempotency_key
        if key is not None and key in taken:
            verdicts.append(KeyTaken(key))
            continue
        if candidate.new_referral_reason is None:
            try:
                refuse_duplicate(open_now.get(candidate.slot))
            except DuplicateReferral as duplicate:
                verdicts.append(duplicate)
                continue
        open_now.setdefault(
            candidate.slot, OpenReferral(candidate.referral_id, ReferralStatus.SENT)
        )
        if key is not None:
            taken.add(key)
        verdicts.append(None)
    return verdicts
