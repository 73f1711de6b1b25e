"""What ``infra/shovels.py`` declares for a link between Kela's broker and a county broker:
the link user's topic permissions let through exactly the link's counties' messages, and the
shovels' URIs carry the link user and, over amqps, the node's certificates."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scripts import load_script

INFRA = Path(__file__).resolve().parents[3] / "infra"


@functools.cache
def shovels() -> ModuleType:
    """Import infra/shovels.py (a script beside broker_users.py, not a package) once."""
    return load_script(INFRA / "shovels.py", "silta_shovels")


def _topic_write(grant, exchange: str) -> str:
    [pattern] = [write for name, write, _ in grant.topic if name == exchange]
    return pattern


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("notice_of_need.11", True),
        ("notice_of_need.11.child_welfare", True),
        ("cancellation.90.child_welfare", True),
        ("directory_update.all", True),
        ("notice_of_need.02", False),  # another county's notice never enters this county
        ("notice_of_need.110", False),
    ],
)
def test_the_link_user_publishes_on_the_county_broker_only_its_counties_kela_messages(key, allowed):
    _, on_county = shovels().Link("county-11", ("11", "90")).grants()
    assert bool(re.match(_topic_write(on_county, "silta.kela"), key)) is allowed


@pytest.mark.parametrize(
    ("key", "allowed"),
    [("status_acknowledgement.11", True), ("statement.90", True), ("statement.02", False)],
)
def test_the_link_user_publishes_on_kelas_broker_only_as_its_counties(key, allowed):
    on_kela, _ = shovels().Link("county-11", ("11", "90")).grants()
    assert bool(re.match(_topic_write(on_kela, "silta.county"), key)) is allowed


def test_each_link_user_reads_only_its_outbound_link_queue():
    on_kela, on_county = shovels().Link("county-11", ("11",)).grants()
    assert re.match(on_kela.read, "silta.link.county-11.to-county")
    assert not re.match(on_kela.read, "silta.kela-side.inbox")
    assert re.match(on_county.read, "silta.link.county-11.to-kela")
    assert not re.match(on_county.read, "silta.municipality-side.inbox")
    assert on_kela.configure == on_county.configure == "^$"  # it cannot delete its queue
    assert re.match(on_kela.write, "silta.county")
    assert not re.match(on_kela.write, "silta.kela")
    assert re.match(on_county.write, "silta.kela")
    assert not re.match(on_county.write, "silta.county")


def test_an_amqps_uri_gets_the_link_user_and_the_nodes_certificates():
    module = shovels()
    tls = module.TlsFiles("/etc/rabbitmq/ca.pem", "/etc/rabbitmq/link.pem", "/etc/rabbitmq/k.pem")
    uri = module.with_user("amqps://broker.county-11.example:5671/silta", "u", "p@ss/", tls)
    parts = urlsplit(uri)
    assert (parts.username, parts.password, parts.hostname, parts.port, parts.path) == (
        "u",
        "p%40ss%2F",
        "broker.county-11.example",
        5671,
        "/silta",
    )
    assert parse_qs(parts.query) == {
        "cacertfile": ["/etc/rabbitmq/ca.pem"],
        "certfile": ["/etc/rabbitmq/link.pem"],
        "keyfile": ["/etc/rabbitmq/k.pem"],
        "verify": ["verify_peer"],
        "server_name_indication": ["broker.county-11.example"],
    }


def test_a_plain_uri_gets_no_tls_parameters_and_a_shovel_confirms_before_acknowledging():
    module = shovels()
    uri = module.with_user("amqp://127.0.0.1:5672/%2F", "u", "p")
    assert uri == "amqp://u:p@127.0.0.1:5672/%2F"
    definition = module.shovel(uri, "q", uri, "silta.kela")
    assert definition["ack-mode"] == "on-confirm"
    assert definition["src-queue"] == "q"
    assert definition["dest-exchange"] == "silta.kela"


def test_a_link_name_must_be_safe_in_queue_and_user_names():
    with pytest.raises(ValueError, match="link name"):
        shovels().Link("County 11/..", ("11",))
