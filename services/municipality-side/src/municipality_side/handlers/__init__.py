"""A county's side's handlers: one per command of its HTTP API, one per message kind it takes.

The bootstrap hands both tables to the runtime, which injects each handler's dependencies by
parameter name (``silta_platform.handlers``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from silta_platform.handlers import Command
from silta_records.consultations import consultation_receivers
from silta_schemas.codes import MessageKind

from municipality_side.commands import (
    AssignReferral,
    ChangeStatus,
    NameResponsibleWorker,
    SendDecisionNotice,
    SendStatement,
)
from municipality_side.db.tables import consultations
from municipality_side.handlers.cancellations import receive_cancellations
from municipality_side.handlers.change_status import change_status
from municipality_side.handlers.cooperation_records import (
    receive_case_manager_periods,
    receive_cooperation_cases,
)
from municipality_side.handlers.decision_notices import (
    receive_decision_notice_receipts,
    send_decision_notice,
)
from municipality_side.handlers.directory_updates import receive_directory_updates
from municipality_side.handlers.referrals import receive_referrals
from municipality_side.handlers.responsible_workers import name_responsible_worker
from municipality_side.handlers.statement_receipts import receive_statement_receipts
from municipality_side.handlers.statements import send_statement
from municipality_side.handlers.worklists import assign_referral
from municipality_side.purposes import MUNICIPALITY_SERVICE
from municipality_side.settings import MunicipalitySettings

COMMANDS: Mapping[type[Command[Any]], Callable[..., Awaitable[Any]]] = {
    ChangeStatus: change_status,
    NameResponsibleWorker: name_responsible_worker,
    SendStatement: send_statement,
    AssignReferral: assign_referral,
    SendDecisionNotice: send_decision_notice,
}


def _served(settings: MunicipalitySettings) -> frozenset[str]:
    return settings.served_counties


_QUESTIONS, _ANSWERS = consultation_receivers(consultations, MUNICIPALITY_SERVICE, _served)

MESSAGE_HANDLERS: Mapping[str, Callable[..., Awaitable[Any]]] = {
    MessageKind.NOTICE_OF_NEED: receive_referrals,
    MessageKind.BASIC_AMOUNT_REDUCTION: receive_referrals,
    MessageKind.APPLICATION_TRANSFER: receive_referrals,
    MessageKind.CANCELLATION: receive_cancellations,
    MessageKind.DIRECTORY_UPDATE: receive_directory_updates,
    MessageKind.STATEMENT_RECEIPT: receive_statement_receipts,
    MessageKind.CASE_MANAGER_PERIOD: receive_case_manager_periods,
    MessageKind.COOPERATION_CASE: receive_cooperation_cases,
    MessageKind.DECISION_NOTICE_RECEIPT: receive_decision_notice_receipts,
    MessageKind.CONSULTATION_REQUEST: _QUESTIONS,
    MessageKind.CONSULTATION_ANSWER: _ANSWERS,
}
