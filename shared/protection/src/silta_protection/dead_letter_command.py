"""The dead-letters command of a service: ``dead-letters list``, ``show ID``, ``requeue ID``
and ``discard ID`` (JSON on stdout), with the service's own settings; each action is written
to the access log as done by the operator running it (``--actor``, the login name by default).

Each service runs it as ``python -m <service>.ops dead-letters …``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from collections.abc import Sequence
from dataclasses import asdict

from silta_messaging.broker import Broker
from silta_platform.bus_security import broker_tls_context
from silta_platform.db import create_engine
from silta_platform.settings import ServiceSettings

from silta_protection.access_log import AccessLogTables, Actor, record_access
from silta_protection.dead_letters import TIMEOUT, DeadLetterQueues, access

OPERATIONS = ("list", "show", "requeue", "discard")


def run(
    argv: Sequence[str] | None,
    settings: ServiceSettings,
    queues: Sequence[str],
    access_log: AccessLogTables,
    organisation: str,
) -> int:
    """Run one command; exit 0, or 1 when the message is not parked."""
    parser = argparse.ArgumentParser(description="Silta operations commands.")
    commands = parser.add_subparsers(dest="command", required=True)
    dead = commands.add_parser("dead-letters", help="parked messages (metadata only)")
    dead.add_argument(
        "operation",
        choices=OPERATIONS,
        help="list: every parked message; show ID; requeue ID: back to its queue, to be "
        "verified and validated again; discard ID: remove it",
    )
    dead.add_argument("message_id", nargs="?", help="the parked message's id")
    dead.add_argument("--actor", default=None, help="who acts (the access log's subject)")
    args = parser.parse_args(argv)
    if args.operation != "list" and not args.message_id:
        parser.error(f"dead-letters {args.operation} needs a message id")
    actor = Actor(args.actor or getpass.getuser(), organisation, "operations")

    async def main() -> int:
        broker = Broker(
            settings.amqp_url,
            name=f"{organisation}-ops",
            ssl_context=broker_tls_context(settings),
            declare_exchanges=settings.amqp_declare_exchanges,
        )
        engine = create_engine(settings.database_url)
        parked = DeadLetterQueues(queues)
        try:
            await broker.start()
            connection = await asyncio.wait_for(broker.wait_connected(), TIMEOUT)
            if args.operation == "list":
                found = await parked.list(connection)
                answer: object = [asdict(queue) for queue in found]
                entry = access(actor, "list", None, "command")
            else:
                info = await parked.act(connection, broker, args.message_id, args.operation)
                if info is None:
                    print(json.dumps({"error": "no parked message has this id"}))
                    return 1
                answer, entry = asdict(info), access(actor, args.operation, info, "command")
            async with engine.begin() as conn:
                await record_access(conn, access_log, [entry])
            print(json.dumps(answer, indent=2))
            return 0
        finally:
            await broker.close()
            await engine.dispose()

    return asyncio.run(main())
