"""Create the broker users of both services with least privilege (idempotent).

    python infra/broker_users.py --vhost silta [--counties 11,90]

One RabbitMQ user per service:

- the Kela side's user publishes only to ``silta.kela`` (and ``silta.dead-letter``, to park),
  reads and configures only its own queues (``silta.kela-side.*``), and binds them to
  ``silta.county`` (read on the exchange);
- the county side's user publishes only to ``silta.county`` (and ``silta.dead-letter``),
  reads and configures only ``silta.municipality-side.*``, and binds them to ``silta.kela``.
  With ``--counties`` its topic permissions narrow what it may publish on ``silta.county``
  (routing keys ``<kind>.<county>``) and bind on ``silta.kela`` (``*.<county>``, the
  child-welfare keys and Kela's directory) to those counties.

Neither user may configure an exchange (configure would let it delete one): this script
declares the exchanges as the administrator (``--admin-amqp-url``), and the services run with
``<PREFIX>AMQP_DECLARE_EXCHANGES=false`` and only check that they exist.

Passwords come from the environment (``SILTA_KELA_AMQP_PASSWORD``,
``SILTA_COUNTY_AMQP_PASSWORD``) and are handed to ``rabbitmqctl`` on its standard input, never
on a command line. Running it again changes passwords and permissions to what is asked.

``--definitions FILE`` writes the same as a RabbitMQ definitions file instead (for
``load_definitions``, as ``docker compose`` does): the vhost, the exchanges, both users with
salted password hashes, their permissions, and an administrator (``--admin-user``, password
``SILTA_ADMIN_AMQP_PASSWORD``). Nothing is run against a broker.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    EXCHANGES,
    KELA_EXCHANGE,
    declare_exchanges,
)


@dataclass(frozen=True)
class Grant:
    """One user's permissions on the vhost: configure, write and read regexes."""

    user: str
    configure: str
    write: str
    read: str
    topic: tuple[tuple[str, str, str], ...] = ()
    """(exchange, write regex, read regex) topic permissions."""


def _any_of(*names: str) -> str:
    return "^(" + "|".join(names) + ")$"


def grants(
    kela_user: str,
    county_user: str,
    *,
    kela_queues: str = "silta.kela-side.",
    county_queues: str = "silta.municipality-side.",
    counties: Sequence[str] = (),
) -> tuple[Grant, Grant]:
    """The least privileges of both users; queue names are prefixes (from the settings)."""
    own_kela = re.escape(kela_queues) + ".*"
    own_county = re.escape(county_queues) + ".*"
    kela, county, dead = (
        re.escape(x) for x in (KELA_EXCHANGE, COUNTY_EXCHANGE, DEAD_LETTER_EXCHANGE)
    )
    topic: tuple[tuple[str, str, str], ...] = ()
    if counties:
        codes = "(" + "|".join(re.escape(code) for code in counties) + ")"
        topic = (
            (COUNTY_EXCHANGE, rf"^[a-z_]+\.{codes}$", "^$"),
            (KELA_EXCHANGE, "^$", rf"^(\*\.{codes}(\.child_welfare)?|directory_update\.all)$"),
        )
    return (
        Grant(
            kela_user,
            configure=_any_of(own_kela),
            write=_any_of(kela, dead, own_kela),
            read=_any_of(county, dead, own_kela),
        ),
        Grant(
            county_user,
            configure=_any_of(own_county),
            write=_any_of(county, dead, own_county),
            read=_any_of(kela, dead, own_county),
            topic=topic,
        ),
    )


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt ‖ SHA-256(salt ‖ password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(
    vhost: str, users: Sequence[tuple[Grant, str]], admin: tuple[str, str]
) -> dict[str, Any]:
    """A RabbitMQ definitions document: ``users`` are (grant, password); ``admin`` (user,
    password) administers the broker with every permission on ``vhost``."""

    def user(name: str, password: str, tags: list[str]) -> dict[str, Any]:
        hashing = "rabbit_password_hashing_sha256"
        return {
            "name": name,
            "password_hash": password_hash(password),
            "hashing_algorithm": hashing,
            "tags": tags,
        }

    admin_grant = Grant(admin[0], ".*", ".*", ".*")
    grants_ = [admin_grant, *(grant for grant, _ in users)]
    return {
        "users": [user(*admin, ["administrator"])]
        + [user(grant.user, password, []) for grant, password in users],
        "vhosts": [{"name": vhost}],
        "permissions": [
            {
                "user": g.user,
                "vhost": vhost,
                "configure": g.configure,
                "write": g.write,
                "read": g.read,
            }
            for g in grants_
        ],
        "topic_permissions": [
            {"user": g.user, "vhost": vhost, "exchange": exchange, "write": write, "read": read}
            for g in grants_
            for exchange, write, read in g.topic
        ],
        "exchanges": [
            {
                "name": name,
                "vhost": vhost,
                "type": kind.value,
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
            for name, kind in EXCHANGES
        ],
        "queues": [],
        "bindings": [],
        "policies": [],
        "parameters": [],
        "global_parameters": [],
    }


class Rabbitmqctl:
    def __init__(self, command: Sequence[str], vhost: str) -> None:
        self._command = list(command)
        self.vhost = vhost

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        result = subprocess.run(
            [*self._command, "-q", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {args[0]} failed: {result.stderr.strip()}")
        return result.stdout

    def users(self) -> set[str]:
        lines = self.run("list_users", "--no-table-headers").splitlines()
        return {line.split("\t")[0] for line in lines if line.strip()}

    def ensure_vhost(self) -> None:
        if self.vhost not in self.run("list_vhosts", "--no-table-headers").split():
            self.run("add_vhost", self.vhost)

    def ensure_user(self, user: str, password: str) -> None:
        if user in self.users():
            self.run("change_password", user, stdin=password + "\n")
        else:
            self.run("add_user", user, stdin=password + "\n")

    def apply(self, grant: Grant) -> None:
        self.run(
            "set_permissions",
            "-p",
            self.vhost,
            grant.user,
            grant.configure,
            grant.write,
            grant.read,
        )
        for exchange in (KELA_EXCHANGE, COUNTY_EXCHANGE):
            self.run("clear_topic_permissions", "-p", self.vhost, grant.user, exchange, check=False)
        for exchange, write, read in grant.topic:
            self.run("set_topic_permissions", "-p", self.vhost, grant.user, exchange, write, read)


async def declare_as_admin(admin_url: str) -> None:
    """Declare the exchanges as the administrator (the services only check them)."""
    connection = await aio_pika.connect(admin_url, timeout=30)
    try:
        await declare_exchanges(await connection.channel())
    finally:
        await connection.close()


def write_definitions(path: Path, vhost: str, users: list[tuple[Grant, str]], admin: str) -> int:
    admin_password = os.environ.get("SILTA_ADMIN_AMQP_PASSWORD")
    if not admin_password:
        print("--definitions needs SILTA_ADMIN_AMQP_PASSWORD", file=sys.stderr)
        return 2
    document = definitions(vhost, users, (admin, admin_password))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"{path}: vhost {vhost}, users {', '.join(u['name'] for u in document['users'])}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env = os.environ.get
    parser.add_argument("--vhost", default=env("SILTA_RABBITMQ_VHOST", "/"))
    parser.add_argument("--kela-user", default=env("SILTA_KELA_AMQP_USER", "silta-kela-side"))
    parser.add_argument(
        "--county-user", default=env("SILTA_COUNTY_AMQP_USER", "silta-municipality-side")
    )
    parser.add_argument("--kela-queues", default="silta.kela-side.", help="queue name prefix")
    parser.add_argument(
        "--county-queues", default="silta.municipality-side.", help="queue name prefix"
    )
    parser.add_argument(
        "--counties", default="", help="comma-separated county codes the county side serves"
    )
    parser.add_argument(
        "--admin-amqp-url",
        default=env("SILTA_ADMIN_AMQP_URL"),
        help="administrator's AMQP URL on the vhost, to declare the exchanges",
    )
    parser.add_argument("--no-declare", action="store_true", help="do not declare exchanges")
    parser.add_argument("--rabbitmqctl", default=env("RABBITMQCTL", "rabbitmqctl"))
    parser.add_argument(
        "--definitions", type=Path, help="write a RabbitMQ definitions file instead of running"
    )
    parser.add_argument("--admin-user", default=env("SILTA_ADMIN_AMQP_USER", "silta"))
    args = parser.parse_args(argv)

    passwords = {
        "kela": env("SILTA_KELA_AMQP_PASSWORD"),
        "county": env("SILTA_COUNTY_AMQP_PASSWORD"),
    }
    missing = [name for name, value in passwords.items() if not value]
    if missing:
        parser.error("set SILTA_KELA_AMQP_PASSWORD and SILTA_COUNTY_AMQP_PASSWORD")
    counties = [code.strip() for code in args.counties.split(",") if code.strip()]
    kela, county = grants(
        args.kela_user,
        args.county_user,
        kela_queues=args.kela_queues,
        county_queues=args.county_queues,
        counties=counties,
    )
    users = [(kela, passwords["kela"] or ""), (county, passwords["county"] or "")]
    if args.definitions is not None:
        return write_definitions(args.definitions, args.vhost, users, args.admin_user)
    ctl = Rabbitmqctl(args.rabbitmqctl.split(), args.vhost)
    ctl.ensure_vhost()
    for grant, password in users:
        ctl.ensure_user(grant.user, password)
        ctl.apply(grant)
        print(
            f"{grant.user} on {args.vhost}: configure {grant.configure} write {grant.write} "
            f"read {grant.read}" + (f" topic {list(grant.topic)}" if grant.topic else "")
        )
    if not args.no_declare:
        admin = args.admin_amqp_url or (
            f"amqp://guest:guest@127.0.0.1:5672/{quote(args.vhost, safe='')}"
        )
        asyncio.run(declare_as_admin(admin))
        print(f"exchanges declared on {args.vhost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
