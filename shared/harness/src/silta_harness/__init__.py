"""Silta's process harness: both services as real processes, written once for ``make run``
(``infra/run.py``), the benchmark (``bench/``) and the end-to-end tests (``tests/e2e/``).

By concept: :mod:`~silta_harness.ports` (free ports), :mod:`~silta_harness.sides` (each
side's module and environment, development keys and issuer), :mod:`~silta_harness.process`
(start, wait ready, stop one service), :mod:`~silta_harness.system` (both sides together),
:mod:`~silta_harness.databases` (their databases for a run),
:mod:`~silta_harness.private_postgres` (a PostgreSQL server a fault test stops and starts),
:mod:`~silta_harness.rabbit_nodes` (private RabbitMQ nodes, one broker per authority),
:mod:`~silta_harness.rabbit_cluster` (a private three-node RabbitMQ cluster),
:mod:`~silta_harness.vhosts` (a virtual host of a run's own on the shared broker),
:mod:`~silta_harness.supervisor` and :mod:`~silta_harness.local` (``make run`` in the
foreground). No service imports it.
"""

from silta_harness.databases import postgres_databases, sqlalchemy_url, sqlite_url
from silta_harness.ports import free_port
from silta_harness.private_postgres import PostgresUnavailable, PrivatePostgres
from silta_harness.process import ServiceNotReady, ServiceProcess, consumer_count
from silta_harness.rabbit_cluster import RabbitCluster
from silta_harness.rabbit_nodes import RabbitNode, RabbitUnavailable
from silta_harness.sides import (
    KELA_SIDE,
    MUNICIPALITY_SIDE,
    SIDES,
    Side,
    dev_issuer,
    dev_signing_settings,
    without_side_settings,
)
from silta_harness.system import System
from silta_harness.vhosts import NoFreeVirtualHost, VirtualHost, leased_vhost, rabbitmqctl

__all__ = [
    "KELA_SIDE",
    "MUNICIPALITY_SIDE",
    "SIDES",
    "NoFreeVirtualHost",
    "PostgresUnavailable",
    "PrivatePostgres",
    "RabbitCluster",
    "RabbitNode",
    "RabbitUnavailable",
    "ServiceNotReady",
    "ServiceProcess",
    "Side",
    "System",
    "VirtualHost",
    "consumer_count",
    "dev_issuer",
    "dev_signing_settings",
    "free_port",
    "leased_vhost",
    "postgres_databases",
    "rabbitmqctl",
    "sqlalchemy_url",
    "sqlite_url",
    "without_side_settings",
]
