"""Kela side operations commands.

``python -m kela_side.ops dead-letters list|show ID|requeue ID|discard ID``
"""

from __future__ import annotations

import sys

from silta_protection.dead_letter_command import run

from kela_side.db.tables import access_log
from kela_side.settings import KelaSettings


def main(argv: list[str] | None = None) -> int:
    settings = KelaSettings()
    return run(argv, settings, [settings.queue_name], access_log, "kela")


if __name__ == "__main__":
    sys.exit(main())
