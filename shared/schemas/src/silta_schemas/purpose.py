"""Purpose and legal basis of each message: they travel with it and must match its content."""

from enum import StrEnum
from typing import Final

from pydantic import BaseModel

from silta_schemas.cancellation import Cancellation
from silta_schemas.codes import LegalExceptionGround
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.referrals import (
    ApplicationTransfer,
    ConsentBasis,
    NoticeOfBasicAmountReduction,
    NoticeOfNeed,
)
from silta_schemas.statements import Statement, StatementReceipt
from silta_schemas.status import StatusAcknowledgement
from silta_schemas.workers import ResponsibleWorker


class Purpose(StrEnum):
    """Why personal data crosses the bridge (GDPR purpose limitation)."""

    SOCIAL_WELFARE_REFERRAL = "social_welfare_referral"
    BASIC_AMOUNT_REDUCTION_NOTICE = "basic_amount_reduction_notice"
    APPLICATION_TRANSFER = "application_transfer"
    REFERRAL_CANCELLATION = "referral_cancellation"
    REFERRAL_STATUS_FEEDBACK = "referral_status_feedback"
    SOCIAL_WORK_STATEMENT = "social_work_statement"
    RESPONSIBLE_WORKER_NOTICE = "responsible_worker_notice"
    COOPERATION_DIRECTORY = "cooperation_directory"


SWA_35_CONSENT: Final = "Social Welfare Act 1301/2014 §35 (consent)"
SWA_35: Final = "Social Welfare Act 1301/2014 §35"
CWA_25: Final = "Child Welfare Act 417/2007 §25"
ASA_10: Final = "Act on Social Assistance 1412/1997 §10"
ASA_14: Final = "Act on Social Assistance 1412/1997 §14 (at the applicant's request)"
CANCELLATION: Final = (
    "Social Welfare Act 1301/2014 §35; Act on Social Assistance 1412/1997 §§10, 14: "
    "withdrawing a referral sent in error (GDPR Art. 5(1)(d))"
)
STATUS_FEEDBACK: Final = "Social Welfare Act 1301/2014 §35; Act on Social Assistance 1412/1997 §18"
COOPERATION: Final = (
    "Social Welfare Act 1301/2014 §41; Act on Social Assistance 1412/1997 §14a: the authorities' "
    "duty to cooperate (work contact data, no client data)"
)
ASA_18: Final = "Act on Social Assistance 1412/1997 §18"
ASA_18_RECEIPT: Final = "Act on Social Assistance 1412/1997 §18 (receipt only, no personal data)"
RESPONSIBLE_WORKER: Final = (
    "Social Welfare Act 1301/2014 §41 and §42; Act on Social Assistance 1412/1997 §14a: the "
    "responsible worker of a shared client (work contact data, no client data)"
)


def purpose_and_legal_basis(payload: BaseModel) -> tuple[Purpose, str]:
    """The purpose and legal basis a payload is sent under; TypeError for unknown payloads."""
    if isinstance(payload, NoticeOfNeed):
        if isinstance(payload.basis, ConsentBasis):
            return Purpose.SOCIAL_WELFARE_REFERRAL, SWA_35_CONSENT
        if payload.basis.ground == LegalExceptionGround.CHILD_INTEREST:
            return Purpose.SOCIAL_WELFARE_REFERRAL, CWA_25
        return Purpose.SOCIAL_WELFARE_REFERRAL, SWA_35
    if isinstance(payload, NoticeOfBasicAmountReduction):
        return Purpose.BASIC_AMOUNT_REDUCTION_NOTICE, ASA_10
    if isinstance(payload, ApplicationTransfer):
        return Purpose.APPLICATION_TRANSFER, ASA_14
    if isinstance(payload, Cancellation):
        return Purpose.REFERRAL_CANCELLATION, CANCELLATION
    if isinstance(payload, StatusAcknowledgement):
        return Purpose.REFERRAL_STATUS_FEEDBACK, STATUS_FEEDBACK
    if isinstance(payload, DirectoryUpdate):
        return Purpose.COOPERATION_DIRECTORY, COOPERATION
    if isinstance(payload, Statement):
        return Purpose.SOCIAL_WORK_STATEMENT, ASA_18
    if isinstance(payload, StatementReceipt):
        return Purpose.SOCIAL_WORK_STATEMENT, ASA_18_RECEIPT
    if isinstance(payload, ResponsibleWorker):
        return Purpose.RESPONSIBLE_WORKER_NOTICE, RESPONSIBLE_WORKER
    raise TypeError(f"no purpose is defined for {type(payload).__name__}")
