"""The data-protection commands of a service: ``reencrypt``, ``verify-access-log``, ``purge``.

Each service runs them as ``python -m <service>.protect <command>`` with its own settings
(the same environment variables as the service).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping, Sequence

from silta_platform.db import create_engine
from silta_platform.settings import ServiceSettings

from silta_protection.access_log import AccessLogTables, verify
from silta_protection.encryption import SealedColumn, reencrypt
from silta_protection.retention import RetentionTables, empty_published_outbox, purge_expired


def run(
    argv: Sequence[str] | None,
    settings: ServiceSettings,
    fields: Mapping[str, SealedColumn],
    access_log: AccessLogTables,
    retention: RetentionTables,
) -> int:
    parser = argparse.ArgumentParser(description="Silta data protection commands.")
    parser.add_argument(
        "command",
        choices=["reencrypt", "verify-access-log", "purge"],
        help="reencrypt: rewrite every sealed column under the current data key (and seal "
        "anything stored before sealing); verify-access-log: check the access log's hash "
        "chain (exit 1 if broken); purge: apply retention now.",
    )
    args = parser.parse_args(argv)

    async def main() -> int:
        engine = create_engine(settings.database_url)
        try:
            if args.command == "reencrypt":
                for name, count in (await reencrypt(engine, settings, fields)).items():
                    print(f"{name}: {count} rows rewritten under key {settings.data_key_current}")
                return 0
            if args.command == "purge":
                purged = await purge_expired(engine, settings, retention)
                emptied = await empty_published_outbox(engine, retention.outbox)
                print(f"{purged} referrals purged, {emptied} sent messages emptied")
                return 0
            result = await verify(engine, access_log)
            for problem in result.problems:
                print(problem)
            print(f"{result.entries} entries, chain {'intact' if result.ok else 'BROKEN'}")
            return 0 if result.ok else 1
        finally:
            await engine.dispose()

    return asyncio.run(main())
