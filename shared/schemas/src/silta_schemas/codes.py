"""Code sets shared by the messages: their values are the wire format, never rename them."""

from enum import IntEnum, StrEnum


class MessageKind(StrEnum):
    """What a message is; the `kind` of every payload and envelope."""

    NOTICE_OF_NEED = "notice_of_need"
    """Sosiaalihuollon tarpeen ilmoitus (Social Welfare Act 1301/2014 §35)."""
    BASIC_AMOUNT_REDUCTION = "basic_amount_reduction"
    """Ilmoitus perusosan alentamisesta (Act on Social Assistance 1412/1997 §10)."""
    APPLICATION_TRANSFER = "application_transfer"
    """Hakemuksen siirto (Act on Social Assistance 1412/1997 §14)."""
    CANCELLATION = "cancellation"
    """Kela withdraws something it sent in error."""
    STATUS_ACKNOWLEDGEMENT = "status_acknowledgement"
    """County → Kela: what happened to a referral (status only, no case content)."""
    STATEMENT = "statement"
    """Sosiaalityön lausunto on a client's basic social assistance."""
    RESPONSIBLE_WORKER = "responsible_worker"
    """Vastuutyöntekijä of a shared client, when named or changed."""
    STATEMENT_RECEIPT = "statement_receipt"
    """Kela → the sending county: Kela has stored a statement (no personal data)."""
    DIRECTORY_UPDATE = "directory_update"
    """Either way: changes to the sender's part of the contact directory (work contacts only)."""
    CASE_MANAGER_PERIOD = "case_manager_period"
    """Kela → the client's county: the client's case manager (asiakkuusvastaava) and period."""
    COOPERATION_CASE = "cooperation_case"
    """Kela → the client's county: a cooperation case for follow-up (ids and dates only)."""
    DECISION_NOTICE = "decision_notice"
    """County → Kela: a supplementary or preventive assistance decision, or an activation plan,
    was made for a client: type, date, outcome, never the content."""
    DECISION_NOTICE_RECEIPT = "decision_notice_receipt"
    """Kela → the sending county: Kela has stored a decision notice (no personal data)."""
    CONSULTATION_REQUEST = "consultation_request"
    """Either way: an officer or a social worker asks the other side a question about a client
    (with the client's consent) or anonymously."""
    CONSULTATION_ANSWER = "consultation_answer"
    """The answer to a consultation request: answered (within the question's purposes) or
    declined."""


class SupportNeed(IntEnum):
    """Support needs (tuen tarpeet) of Social Welfare Act 1301/2014 §11, codes 1-10.

    1 coping with everyday life; 2 housing; 3 financial support; 4 preventing social
    exclusion, promoting inclusion; 5 intimate-partner, domestic and other violence or
    maltreatment; 6 acute crisis; 7 a child's balanced development and wellbeing;
    8 substance use, mental health problems, other illness, disability or ageing;
    9 other physical, mental, social or cognitive functioning; 10 support for family
    members and close persons of people in need.
    """

    EVERYDAY_LIFE = 1
    HOUSING = 2
    FINANCIAL = 3
    INCLUSION = 4
    VIOLENCE = 5
    ACUTE_CRISIS = 6
    CHILD_DEVELOPMENT = 7
    SUBSTANCE_MENTAL_HEALTH_ILLNESS = 8
    FUNCTIONING = 9
    FAMILY_SUPPORT = 10


class TriggerSituation(StrEnum):
    """Why Kela refers the client: the situations where it must (seed 004, §4.1), or other."""

    CANNOT_MANAGE_AFFAIRS_WITHOUT_GUARDIAN = "cannot_manage_affairs_without_guardian"
    REFUSES_PRIMARY_BENEFITS = "refuses_primary_benefits"
    PROLONGED_STUDIES = "prolonged_studies"
    BASIC_AMOUNT_REDUCED = "basic_amount_reduced"
    IMMIGRANT_NOT_AVAILABLE_FOR_LABOUR_MARKET = "immigrant_not_available_for_labour_market"
    OTHER = "other"


class Urgency(StrEnum):
    """How soon the county should act; urgent shortens deadlines."""

    NORMAL = "normal"
    URGENT = "urgent"


class LegalExceptionGround(StrEnum):
    """Grounds for a notice of need without the client's consent."""

    UNABLE_TO_LOOK_AFTER_OWN_CARE = "unable_to_look_after_own_care"
    """Evidently unable to look after own care, health or safety (Social Welfare Act §35)."""
    CHILD_INTEREST = "child_interest"
    """A child's interest requires it (Child Welfare Act 417/2007 §25): child welfare notice."""


class ConsentMethod(StrEnum):
    """How the client gave consent (suostumus)."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    WRITTEN = "written"
    ELECTRONIC = "electronic"


class ConsentScope(StrEnum):
    """What the consent covers: each scope widens what may be sent."""

    NOTICE_OF_NEED = "notice_of_need"
    CONTACT_DETAILS = "contact_details"
    INFORMATION_EXCHANGE = "information_exchange"


class AssistanceType(StrEnum):
    """What the county decides on a transferred application (Act on Social Assistance §14)."""

    SUPPLEMENTARY = "supplementary"
    """Täydentävä toimeentulotuki."""
    PREVENTIVE = "preventive"
    """Ehkäisevä toimeentulotuki."""


class ExpenseCategory(StrEnum):
    """Expenses in a transferred application that basic assistance does not cover.

    Supplementary assistance covers special expenses (ASA 1412/1997 §7c), preventive
    assistance e.g. rent arrears before eviction (§13); `other` needs a description.
    """

    HOUSING_COSTS = "housing_costs"
    RENT_DEPOSIT = "rent_deposit"
    MOVING_COSTS = "moving_costs"
    HOUSEHOLD_EQUIPMENT = "household_equipment"
    HEALTH_CARE_COSTS = "health_care_costs"
    CHILDRENS_HOBBIES = "childrens_hobbies"
    FUNERAL_COSTS = "funeral_costs"
    RENT_ARREARS = "rent_arrears"
    OTHER = "other"


class HoldReason(StrEnum):
    """Why the county put a referral on hold (FHIR Task on-hold needs a reason): a code, so
    that the status acknowledgement carries no free text about the case."""

    AWAITING_CLIENT_DOCUMENTS = "awaiting_client_documents"
    CLIENT_TEMPORARILY_UNAVAILABLE = "client_temporarily_unavailable"
    AWAITING_OTHER_AUTHORITY = "awaiting_other_authority"
    AWAITING_KELA_DECISION = "awaiting_kela_decision"
    CLIENT_REQUEST = "client_request"
    OTHER = "other"
