"""Silta message contracts and rules: pure pydantic v2, no I/O.

Both services validate every message they send and receive with these models. Rule
violations raise `PydanticCustomError(rule, message)` with a dotted rule id; messages never
contain personal data.
"""

from silta_schemas._base import Contract
from silta_schemas.codes import (
    ConsentMethod,
    ConsentScope,
    LegalExceptionGround,
    MessageKind,
    SupportNeed,
    TriggerSituation,
    Urgency,
)
from silta_schemas.envelope import (
    PAYLOAD_MODELS,
    SCHEMA_VERSION,
    SENDER_SIDE,
    Envelope,
    Message,
    MessageRejected,
    describe_errors,
    open_message,
    seal,
)
from silta_schemas.examples import (
    BASIC_AMOUNT_REDUCTION_EXAMPLE,
    NOTICE_OF_NEED_EXAMPLE,
    STATUS_ACKNOWLEDGEMENT_EXAMPLE,
    STATUS_UPDATE_EXAMPLES,
)
from silta_schemas.identity import (
    IDENTITY_CODE_PATTERN,
    IdentityCode,
    birth_date,
    check_identity_code,
    contains_identity_code,
    redact_identity_codes,
)
from silta_schemas.lifecycle import (
    TERMINAL_STATUSES,
    Actor,
    TransitionNotAllowed,
    allowed_next,
    check_outcome_for_kind,
    check_transition,
    is_open,
    may_set,
)
from silta_schemas.parties import (
    KELA,
    ClientAddress,
    ClientContact,
    CountyCode,
    KelaContact,
    OrganisationId,
    county_code_of,
    county_organisation,
)
from silta_schemas.purpose import Purpose, purpose_and_legal_basis
from silta_schemas.referrals import (
    Basis,
    Client,
    ConsentBasis,
    LegalExceptionBasis,
    NoticeOfBasicAmountReduction,
    NoticeOfNeed,
    ReferralRequest,
    referral_adapter,
)
from silta_schemas.routing import (
    COUNTY_CODES,
    COUNTY_NAMES,
    MunicipalityCode,
    RoutingError,
    county_for_municipality,
)
from silta_schemas.status import (
    Outcome,
    ProgressEvent,
    ReferralStatus,
    StatusAcknowledgement,
    StatusUpdate,
)
from silta_schemas.text import FreeText, ShortText

__all__ = [
    "BASIC_AMOUNT_REDUCTION_EXAMPLE",
    "COUNTY_CODES",
    "COUNTY_NAMES",
    "IDENTITY_CODE_PATTERN",
    "KELA",
    "NOTICE_OF_NEED_EXAMPLE",
    "PAYLOAD_MODELS",
    "SCHEMA_VERSION",
    "SENDER_SIDE",
    "STATUS_ACKNOWLEDGEMENT_EXAMPLE",
    "STATUS_UPDATE_EXAMPLES",
    "TERMINAL_STATUSES",
    "Actor",
    "Basis",
    "Client",
    "ClientAddress",
    "ClientContact",
    "ConsentBasis",
    "ConsentMethod",
    "ConsentScope",
    "Contract",
    "CountyCode",
    "Envelope",
    "FreeText",
    "IdentityCode",
    "KelaContact",
    "LegalExceptionBasis",
    "LegalExceptionGround",
    "Message",
    "MessageKind",
    "MessageRejected",
    "MunicipalityCode",
    "NoticeOfBasicAmountReduction",
    "NoticeOfNeed",
    "OrganisationId",
    "Outcome",
    "ProgressEvent",
    "Purpose",
    "ReferralRequest",
    "ReferralStatus",
    "RoutingError",
    "ShortText",
    "StatusAcknowledgement",
    "StatusUpdate",
    "SupportNeed",
    "TransitionNotAllowed",
    "TriggerSituation",
    "Urgency",
    "allowed_next",
    "birth_date",
    "check_identity_code",
    "check_outcome_for_kind",
    "check_transition",
    "contains_identity_code",
    "county_code_of",
    "county_for_municipality",
    "county_organisation",
    "describe_errors",
    "is_open",
    "may_set",
    "open_message",
    "purpose_and_legal_basis",
    "redact_identity_codes",
    "referral_adapter",
    "seal",
]
