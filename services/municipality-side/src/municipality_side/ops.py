"""Municipality side operations commands.

``python -m municipality_side.ops dead-letters list|show ID|requeue ID|discard ID``
"""

from __future__ import annotations

import sys

from silta_protection.dead_letter_command import run

from municipality_side.db.tables import access_log
from municipality_side.protect import organisation
from municipality_side.settings import MunicipalitySettings


def main(argv: list[str] | None = None) -> int:
    settings = MunicipalitySettings()
    queues = [settings.queue_name, settings.child_welfare_queue_name]
    return run(argv, settings, queues, access_log, organisation(settings))


if __name__ == "__main__":
    sys.exit(main())
