"""Kela's side's handlers: one per command of its HTTP API, one per message kind it takes.

The bootstrap hands both tables to the runtime, which injects each handler's dependencies by
parameter name (``silta_platform.handlers``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from silta_platform.handlers import Command
from silta_records.consultations import consultation_receivers
from silta_schemas.codes import MessageKind

from kela_side.commands import CancelReferral, ChangeRecord, SubmitReferral, SubmitReferrals
from kela_side.db.tables import consultations
from kela_side.handlers import case_managers, cooperation_cases
from kela_side.handlers.acknowledgements import receive_acknowledgements
from kela_side.handlers.cancel_referral import cancel_referral
from kela_side.handlers.cooperation_records import change_record_handler
from kela_side.handlers.decision_notices import receive_decision_notices
from kela_side.handlers.directory_updates import receive_directory_updates
from kela_side.handlers.responsible_workers import receive_responsible_workers
from kela_side.handlers.statements import receive_statements
from kela_side.handlers.submit_batch import submit_referrals
from kela_side.handlers.submit_referral import submit_referral
from kela_side.purposes import KELA_SERVICE

COMMANDS: Mapping[type[Command[Any]], Callable[..., Awaitable[Any]]] = {
    SubmitReferral: submit_referral,
    SubmitReferrals: submit_referrals,
    CancelReferral: cancel_referral,
    ChangeRecord: change_record_handler({**case_managers.STEPS, **cooperation_cases.STEPS}),
}

_QUESTIONS, _ANSWERS = consultation_receivers(consultations, KELA_SERVICE, lambda _: None)

MESSAGE_HANDLERS: Mapping[str, Callable[..., Awaitable[Any]]] = {
    MessageKind.STATUS_ACKNOWLEDGEMENT: receive_acknowledgements,
    MessageKind.DIRECTORY_UPDATE: receive_directory_updates,
    MessageKind.STATEMENT: receive_statements,
    MessageKind.RESPONSIBLE_WORKER: receive_responsible_workers,
    MessageKind.DECISION_NOTICE: receive_decision_notices,
    MessageKind.CONSULTATION_REQUEST: _QUESTIONS,
    MessageKind.CONSULTATION_ANSWER: _ANSWERS,
}
