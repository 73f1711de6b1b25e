"""The client's cooperation between Kela and the county beyond single referrals: case-manager
periods (asiakkuusvastaava, seed 001) and cooperation cases with follow-up (seed 004).

The public place for both kinds (`kinds.case_manager_period`, `kinds.cooperation_case`) and
what they are made of (`cooperation_parts`).
"""

from silta_schemas.cooperation_parts import ClientConsent, ClientIdentity, RoutedClient
from silta_schemas.kinds.case_manager_period import (
    CaseManagerAction,
    CaseManagerChangeRequest,
    CaseManagerEndRequest,
    CaseManagerPeriod,
    CaseManagerPeriodRequest,
)
from silta_schemas.kinds.cooperation_case import (
    CaseLink,
    CooperationCase,
    CooperationCaseAction,
    CooperationCaseRequest,
    FollowUpRequest,
    LinkRequest,
    LinkType,
)

__all__ = [
    "CaseLink",
    "CaseManagerAction",
    "CaseManagerChangeRequest",
    "CaseManagerEndRequest",
    "CaseManagerPeriod",
    "CaseManagerPeriodRequest",
    "ClientConsent",
    "ClientIdentity",
    "CooperationCase",
    "CooperationCaseAction",
    "CooperationCaseRequest",
    "FollowUpRequest",
    "LinkRequest",
    "LinkType",
    "RoutedClient",
]
