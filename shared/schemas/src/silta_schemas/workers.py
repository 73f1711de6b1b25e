"""County workers: their work contact, and the responsible worker (vastuutyöntekijä) of a
shared client, county → Kela, per referral.

The public place for them: the work contact (`work_contact`) and the kind
(`kinds.responsible_worker`).
"""

from silta_schemas.kinds.responsible_worker import (
    ResponsibleWorker,
    ResponsibleWorkerChange,
    ResponsibleWorkerRequest,
)
from silta_schemas.work_contact import WorkContact, check_reachable

__all__ = [
    "ResponsibleWorker",
    "ResponsibleWorkerChange",
    "ResponsibleWorkerRequest",
    "WorkContact",
    "check_reachable",
]
