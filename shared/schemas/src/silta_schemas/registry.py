"""Every message kind this schema version carries, each by its specification.

One line a kind: the envelope (`seal`, `open_message`) looks up a message's kind here and
checks it against that `KindSpec`; so do the purpose check and whatever addresses a message
(`KindSpec.route.senders` decides its exchange). `MessageKind` lists the wire values; a test checks
that each has exactly one spec here.
"""

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel

from silta_schemas.codes import MessageKind
from silta_schemas.kinds import (
    application_transfer,
    basic_amount_reduction,
    cancellation,
    case_manager_period,
    consultation_answer,
    consultation_request,
    cooperation_case,
    decision_notice,
    decision_notice_receipt,
    directory_update,
    notice_of_need,
    responsible_worker,
    statement,
    statement_receipt,
    status_acknowledgement,
)
from silta_schemas.lifecycle import Actor
from silta_schemas.purpose import Purpose
from silta_schemas.spec import KindSpec

KINDS: Final[Mapping[MessageKind, KindSpec[Any]]] = {
    spec.kind: spec
    for spec in (
        notice_of_need.SPEC,
        basic_amount_reduction.SPEC,
        application_transfer.SPEC,
        cancellation.SPEC,
        status_acknowledgement.SPEC,
        directory_update.SPEC,
        statement.SPEC,
        statement_receipt.SPEC,
        responsible_worker.SPEC,
        case_manager_period.SPEC,
        cooperation_case.SPEC,
        decision_notice.SPEC,
        decision_notice_receipt.SPEC,
        consultation_request.SPEC,
        consultation_answer.SPEC,
    )
}
"""Kinds this schema version can carry, and their specifications."""

_BY_PAYLOAD: Final[Mapping[type[BaseModel], KindSpec[Any]]] = {
    spec.payload: spec for spec in KINDS.values()
}

PAYLOAD_MODELS: Final[Mapping[MessageKind, type[BaseModel]]] = {
    kind: spec.payload for kind, spec in KINDS.items()
}
"""Each kind's payload model (read from `KINDS`)."""

SENDER_SIDE: Final[Mapping[MessageKind, frozenset[Actor]]] = {
    kind: spec.route.senders for kind, spec in KINDS.items()
}
"""Which sides may send each kind (read from `KINDS`)."""


def spec_of(payload: BaseModel) -> KindSpec[Any] | None:
    """The spec whose payload model `payload` is (exactly, not a subclass), or None."""
    return _BY_PAYLOAD.get(type(payload))


def purpose_and_legal_basis(payload: BaseModel) -> tuple[Purpose, str]:
    """The purpose and legal basis a payload is sent under; TypeError for unknown payloads."""
    spec = spec_of(payload)
    if spec is None:
        raise TypeError(f"no purpose is defined for {type(payload).__name__}")
    return spec.grounds.of(payload)
