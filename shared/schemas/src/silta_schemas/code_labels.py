"""The labels of the code lists in Finnish, Swedish and English (`code_lists` serves them),
kept as data in `code_labels.json` beside this module: per list, `code: [fi, sv, en]`.

The Finnish and Swedish words are those of the law and of the field: the Social Welfare Act
1301/2014 (socialvårdslagen) §11 for the support needs, the Act on Social Assistance
1412/1997 (lagen om utkomststöd), and Kela (FPA in Swedish). A code is the wire value and
never changes; a label may be corrected at any time.

`service_need_checklist` is the default service-need checklist (palvelutarpeen tunnistamisen
muistilista): what Kela's officer may have noticed, after the checklist Kela made with the
municipalities' social services (seed 003; like the AVAIN indicator of adult social work).
"""

import json
from importlib.resources import files
from typing import Final

Labels = tuple[str, str, str]
"""Finnish, Swedish, English."""

_LISTS: Final[dict[str, dict[str, list[str]]]] = json.loads(
    files("silta_schemas").joinpath("code_labels.json").read_text(encoding="utf-8")
)


def _labels(name: str) -> dict[str, Labels]:
    return {code: (fi, sv, en) for code, (fi, sv, en) in _LISTS[name].items()}


SUPPORT_NEED_LABELS: Final = _labels("support_needs")
TRIGGER_LABELS: Final = _labels("triggers")
STATUS_LABELS: Final = _labels("statuses")
EVENT_LABELS: Final = _labels("events")
OUTCOME_LABELS: Final = _labels("outcomes")
HOLD_REASON_LABELS: Final = _labels("hold_reasons")
CHECKLIST_LABELS: Final = _labels("service_need_checklist")
