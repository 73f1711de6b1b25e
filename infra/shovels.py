"""Link Kela's broker and a county's broker by two shovels (idempotent): each authority on
its own RabbitMQ.

    python infra/shovels.py --link county-11 --counties 11,90 \\
        --kela-uri amqps://kela-broker.example:5671/silta \\
        --county-uri amqps://broker.county-11.example:5671/silta \\
        --kela-rabbitmqctl "rabbitmqctl -n rabbit@kela-broker" \\
        --county-rabbitmqctl "rabbitmqctl -n rabbit@county-broker" \\
        --kela-admin-amqp-url ... --county-admin-amqp-url ...

For the link it declares, as each broker's administrator:

- on Kela's broker, the quorum queue ``silta.link.<link>.to-county`` bound to ``silta.kela``
  with the keys of the link's counties (their general and child-welfare notices, Kela's
  directory updates), and the shovel ``silta-<link>-to-county`` that moves it to the county
  broker's ``silta.kela`` exchange (which routes into the county side's own queues);
- on the county's broker, the quorum queue ``silta.link.<link>.to-kela`` bound to
  ``silta.county`` with the link's counties' keys, and the shovel ``silta-<link>-to-kela``
  that moves it to Kela's ``silta.county`` exchange;
- on each broker, the policy ``silta.link.unroutable``: what a shovel brings that no queue
  binds (the receiving side's queues not declared yet) is kept in the queue
  ``silta.link.unroutable`` instead of being dropped (a confirmed destination is not a
  routed one);
- on each broker, the link's user ``silta-link-<link>`` (one per link): it may only read its
  outbound link queue (no configure: it cannot delete it) and write the other direction's
  exchange, with topic permissions
  narrowed to the link's counties' routing keys. The shovels connect as that user on both
  ends, so a link can do nothing else on either broker.

Both shovels acknowledge ``on-confirm``: a message leaves the source queue only once the
destination broker confirmed it, so a link that is down holds its messages in the queue and
a repeat after a reconnect is absorbed by the receiving side's inbox. Messages keep their
properties and headers (signatures, encryption), so nothing changes for the services.

TLS: give ``amqps://`` URIs; ``--kela-node-ca-file`` (and ``-cert-file``, ``-key-file``) are
paths *on Kela's node* (which runs the ``to-county`` shovel), ``--county-node-*`` on the
county's node; they become the URIs' ``cacertfile``, ``certfile``, ``keyfile`` with
``verify=verify_peer`` and ``server_name_indication`` set to the host.

Passwords of the link users come from the environment (``SILTA_LINK_KELA_PASSWORD`` for
the user on Kela's broker, ``SILTA_LINK_COUNTY_PASSWORD`` on the county's), are handed to
``rabbitmqctl`` on its standard input (the shovels too), and end up only in the shovels'
URIs (runtime parameters, visible to the brokers' administrators). ``--remove`` deletes the link's
shovels (the queues keep what they hold).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import aio_pika
from broker_users import Grant, Rabbitmqctl
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    KELA_BROADCAST_KEY,
    KELA_EXCHANGE,
    child_welfare_bindings,
    county_bindings,
    declare_exchanges,
)

RECONNECT_DELAY_S = 5
UNROUTABLE = "silta.link.unroutable"
"""On each broker: the alternate exchange, and its queue, of what a link brings that no queue
takes (the policy of the same name)."""


@dataclass(frozen=True)
class TlsFiles:
    """Certificate files on the node that runs a shovel, for its ``amqps://`` URIs."""

    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""


@dataclass(frozen=True)
class Link:
    """Kela's broker and one county broker (serving ``counties``), linked both ways."""

    name: str
    counties: tuple[str, ...]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.name):
            raise ValueError("a link name is lower-case letters, digits and hyphens")
        if not self.counties:
            raise ValueError("a link serves at least one county")

    @property
    def user(self) -> str:
        return f"silta-link-{self.name}"

    @property
    def to_county_queue(self) -> str:
        """On Kela's broker: what goes to this county broker."""
        return f"silta.link.{self.name}.to-county"

    @property
    def to_kela_queue(self) -> str:
        """On the county's broker: what goes to Kela."""
        return f"silta.link.{self.name}.to-kela"

    @property
    def to_county_keys(self) -> tuple[str, ...]:
        """What the county side reads of ``silta.kela``: its general and child-welfare keys
        and Kela's directory updates."""
        return (*county_bindings(self.counties), *child_welfare_bindings(self.counties))

    @property
    def to_kela_keys(self) -> tuple[str, ...]:
        """What Kela reads of this county broker's ``silta.county``: its counties' keys."""
        return tuple(f"*.{code}" for code in sorted(self.counties))

    def grants(self) -> tuple[Grant, Grant]:
        """The link user's permissions on Kela's broker and on the county's: read its
        outbound queue, publish into the other direction's exchange (routing keys of its
        counties only) and the unroutable exchange; configure nothing."""
        codes = "(" + "|".join(re.escape(code) for code in sorted(self.counties)) + ")"
        broadcast = re.escape(KELA_BROADCAST_KEY)

        def grant(queue: str, exchange: str, keys: str) -> Grant:
            write = f"^({re.escape(exchange)}|{re.escape(UNROUTABLE)})$"
            read = f"^{re.escape(queue)}$"
            return Grant(self.user, "^$", write, read, ((exchange, keys, "^$"),))

        return (
            grant(self.to_county_queue, COUNTY_EXCHANGE, rf"^[a-z_]+\.{codes}$"),
            grant(
                self.to_kela_queue,
                KELA_EXCHANGE,
                rf"^([a-z_]+\.{codes}(\.child_welfare)?|{broadcast})$",
            ),
        )


def with_user(uri: str, user: str, password: str, tls: TlsFiles = TlsFiles()) -> str:
    """``uri`` (``amqp://host:port/vhost`` or ``amqps://...``) with the link user's
    credentials and, for ``amqps``, the TLS parameters of the node running the shovel."""
    parts = urlsplit(uri)
    if parts.scheme not in ("amqp", "amqps"):
        raise ValueError("a broker URI is amqp:// or amqps://")
    host = parts.hostname or "localhost"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    query = parts.query
    if parts.scheme == "amqps":
        options = {
            "cacertfile": tls.ca_file,
            "certfile": tls.cert_file,
            "keyfile": tls.key_file,
        }
        params = {name: value for name, value in options.items() if value}
        params |= {"verify": "verify_peer", "server_name_indication": host}
        query = "&".join(part for part in (query, urlencode(params)) if part)
    return urlunsplit((parts.scheme, netloc, parts.path or "/", query, ""))


def shovel(source_uri: str, queue: str, destination_uri: str, exchange: str) -> dict[str, object]:
    """A dynamic shovel's definition: ``queue`` to ``exchange``, routing keys and headers
    kept, acknowledged at the source once the destination confirmed."""
    return {
        "src-protocol": "amqp091",
        "src-uri": source_uri,
        "src-queue": queue,
        "dest-protocol": "amqp091",
        "dest-uri": destination_uri,
        "dest-exchange": exchange,
        "ack-mode": "on-confirm",
        "reconnect-delay": RECONNECT_DELAY_S,
    }


async def declare_link_queue(
    admin_url: str, queue: str, exchange: str, keys: Sequence[str]
) -> None:
    """As the broker's administrator: the exchanges, and the link's quorum queue bound to
    ``exchange`` with ``keys``."""
    connection = await aio_pika.connect(admin_url, timeout=30)
    try:
        channel = await connection.channel()
        await declare_exchanges(channel)
        declared = await channel.declare_queue(
            queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        for key in keys:
            await declared.bind(exchange, routing_key=key)
        unroutable = await channel.declare_exchange(
            UNROUTABLE, aio_pika.ExchangeType.FANOUT, durable=True
        )
        kept = await channel.declare_queue(
            UNROUTABLE, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await kept.bind(unroutable)
    finally:
        await connection.close()


def keep_unroutable(ctl: Rabbitmqctl, exchange: str) -> None:
    """What a shovel delivers into ``exchange`` that no queue binds (the receiving side's
    queues not declared yet) goes to the ``silta.link.unroutable`` queue, not nowhere: the
    destination confirms such a message, so the link would otherwise drop it silently."""
    definition = json.dumps({"alternate-exchange": UNROUTABLE})
    pattern = f"^{re.escape(exchange)}$"
    ctl.run(
        "set_policy", "-p", ctl.vhost, "--apply-to", "exchanges", UNROUTABLE, pattern, definition
    )


def set_shovel(ctl: Rabbitmqctl, name: str, definition: dict[str, object]) -> None:
    """Declare (or replace) the shovel ``name``: as definitions on ``rabbitmqctl``'s standard
    input, so that the URIs' passwords never appear on a command line."""
    parameter = {"vhost": ctl.vhost, "component": "shovel", "name": name, "value": definition}
    ctl.run("import_definitions", stdin=json.dumps({"parameters": [parameter]}))


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env = os.environ.get
    parser.add_argument("--link", required=True, help="the link's name, e.g. county-11")
    parser.add_argument("--counties", required=True, help="comma-separated county codes")
    parser.add_argument("--vhost", default=env("SILTA_RABBITMQ_VHOST", "/"))
    for side in ("kela", "county"):
        parser.add_argument(f"--{side}-uri", required=True, help="amqp[s]://host:port/vhost")
        parser.add_argument(f"--{side}-rabbitmqctl", default="rabbitmqctl")
        parser.add_argument(f"--{side}-admin-amqp-url", help="to declare the link's queue")
        for name in ("ca", "cert", "key"):
            parser.add_argument(f"--{side}-node-{name}-file", default="")
    parser.add_argument("--remove", action="store_true", help="delete the link's shovels")
    args = parser.parse_args(argv)
    if not args.remove and not (
        env("SILTA_LINK_KELA_PASSWORD") and env("SILTA_LINK_COUNTY_PASSWORD")
    ):
        parser.error("set SILTA_LINK_KELA_PASSWORD and SILTA_LINK_COUNTY_PASSWORD")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    link = Link(args.link, tuple(c.strip() for c in args.counties.split(",") if c.strip()))
    kela = Rabbitmqctl(args.kela_rabbitmqctl.split(), args.vhost)
    county = Rabbitmqctl(args.county_rabbitmqctl.split(), args.vhost)
    to_county, to_kela = f"silta-{link.name}-to-county", f"silta-{link.name}-to-kela"
    if args.remove:
        kela.run("clear_parameter", "-p", args.vhost, "shovel", to_county, check=False)
        county.run("clear_parameter", "-p", args.vhost, "shovel", to_kela, check=False)
        print(f"link {link.name}: shovels removed")
        return 0
    kela_password = os.environ["SILTA_LINK_KELA_PASSWORD"]
    county_password = os.environ["SILTA_LINK_COUNTY_PASSWORD"]
    for ctl, grant, password in zip(
        (kela, county), link.grants(), (kela_password, county_password), strict=True
    ):
        ctl.ensure_vhost()
        ctl.ensure_user(grant.user, password)
        ctl.apply(grant)
    vhost = quote(args.vhost, safe="")
    asyncio.run(
        declare_link_queue(
            args.kela_admin_amqp_url or f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            link.to_county_queue,
            KELA_EXCHANGE,
            link.to_county_keys,
        )
    )
    asyncio.run(
        declare_link_queue(
            args.county_admin_amqp_url or f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            link.to_kela_queue,
            COUNTY_EXCHANGE,
            link.to_kela_keys,
        )
    )
    keep_unroutable(kela, COUNTY_EXCHANGE)
    keep_unroutable(county, KELA_EXCHANGE)
    on_kela = TlsFiles(args.kela_node_ca_file, args.kela_node_cert_file, args.kela_node_key_file)
    on_county = TlsFiles(
        args.county_node_ca_file, args.county_node_cert_file, args.county_node_key_file
    )
    kela_shovel = shovel(
        with_user(args.kela_uri, link.user, kela_password, on_kela),
        link.to_county_queue,
        with_user(args.county_uri, link.user, county_password, on_kela),
        KELA_EXCHANGE,
    )
    county_shovel = shovel(
        with_user(args.county_uri, link.user, county_password, on_county),
        link.to_kela_queue,
        with_user(args.kela_uri, link.user, kela_password, on_county),
        COUNTY_EXCHANGE,
    )
    for ctl, name, definition in ((kela, to_county, kela_shovel), (county, to_kela, county_shovel)):
        set_shovel(ctl, name, definition)
    print(
        f"link {link.name} (counties {', '.join(link.counties)}): shovels {to_county} on Kela's "
        f"broker and {to_kela} on the county's, user {link.user} on both"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
