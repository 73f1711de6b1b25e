"""The data-protection commands of a service: ``reencrypt``, ``verify-access-log``, ``purge``,
``verify-message-log`` and ``export-evidence --referral ID`` (JSON on stdout, checked offline
by ``python -m silta_protection.evidence verify``).

Each service runs them as ``python -m <service>.protect <command>`` with its own settings
(the same environment variables as the service).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID

from silta_platform.bus_security import verifier_from
from silta_platform.db import create_engine
from silta_platform.settings import ServiceSettings

from silta_protection.access_log import verify
from silta_protection.chain import Verification
from silta_protection.encryption import SealedColumn, reencrypt
from silta_protection.evidence import export_referral
from silta_protection.retention import RetentionTables, apply_retention, summary


def run(
    argv: Sequence[str] | None,
    settings: ServiceSettings,
    fields: Mapping[str, SealedColumn],
    retention: RetentionTables,
    organisation: str,
) -> int:
    """Run one command; ``organisation`` names who keeps this side's message log."""
    parser = argparse.ArgumentParser(description="Silta data protection commands.")
    parser.add_argument(
        "command",
        choices=[
            "reencrypt",
            "verify-access-log",
            "purge",
            "verify-message-log",
            "export-evidence",
        ],
        help="reencrypt: rewrite every sealed column under the current data key (and seal "
        "anything stored before sealing); verify-access-log, verify-message-log: check the "
        "log's hash chain (exit 1 if broken); purge: apply retention now; export-evidence: "
        "one referral's evidence as JSON on stdout.",
    )
    parser.add_argument("--referral", type=UUID, help="export-evidence: the referral's id")
    args = parser.parse_args(argv)
    if args.command == "export-evidence" and args.referral is None:
        parser.error("export-evidence needs --referral ID")

    async def main() -> int:
        engine = create_engine(settings.database_url)
        try:
            if args.command == "reencrypt":
                for name, count in (await reencrypt(engine, settings, fields)).items():
                    print(f"{name}: {count} rows rewritten under key {settings.data_key_current}")
                return 0
            if args.command == "purge":
                print(summary(await apply_retention(engine, settings, retention)))
                return 0
            if args.command == "export-evidence":
                async with engine.connect() as conn:
                    export = await export_referral(
                        conn,
                        retention.message_log,
                        str(args.referral),
                        organisation=organisation,
                        registry=verifier_from(settings).registry,
                        now=datetime.now(UTC),
                    )
                print(json.dumps(export, indent=2))
                return 0 if export["messages"] else 1
            if args.command == "verify-message-log":
                async with engine.connect() as conn:
                    return _report(await retention.message_log.chain.verify(conn))
            return _report(await verify(engine, retention.access_log))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _report(result: Verification) -> int:
    for problem in result.problems:
        print(problem)
    print(f"{result.entries} entries, chain {'intact' if result.ok else 'BROKEN'}")
    return 0 if result.ok else 1
