"""Starting a service process: logging, migrations, then uvicorn."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from silta_platform.logs import configure_logging
from silta_platform.settings import MIGRATION_URL_VARIABLE, ServiceSettings
from silta_platform.tls import uvicorn_tls
from silta_platform.tracing import configure_tracing


def serve(
    service: str,
    settings: ServiceSettings,
    migrations_dir: Path,
    app_factory: Callable[[ServiceSettings], FastAPI],
) -> None:
    configure_logging(
        settings.log_level, service, access_log=settings.access_log, log_format=settings.log_format
    )
    configure_tracing(service)  # off unless OTEL_TRACES_EXPORTER names an exporter
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    if settings.run_migrations:
        migrate(service, settings, migrations_dir)
    app = app_factory(settings)
    settle_heap()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # it logs the path and query as sent: silta_platform.access_log
        timeout_graceful_shutdown=10,
        **uvicorn_tls(settings),
    )


MIGRATIONS_MODULE = "silta_platform.migrations"


class MigrationsFailed(SystemExit):
    """The database could not be brought to the newest schema: the service does not start."""


def migrate(service: str, settings: ServiceSettings, migrations_dir: Path) -> None:
    """Bring the database to the newest schema in a child process, before serving.

    Alembic, Mako and the migration scripts are some 7 MB of a service's memory for the
    rest of its life if they are imported here, for work done once at start-up; a child
    process lets them go when it exits (about 0.3 s more at start). It logs as the service
    does, on the same stream.
    """
    command = [
        sys.executable,
        "-m",
        MIGRATIONS_MODULE,
        str(migrations_dir),
        service,
        settings.log_level,
        settings.log_format,
    ]
    environment = {**os.environ, MIGRATION_URL_VARIABLE: settings.database_url}
    finished = subprocess.run(command, env=environment, check=False)  # noqa: S603 (ours)
    if finished.returncode != 0:
        raise MigrationsFailed(
            f"{service}: the database migrations failed (exit status {finished.returncode}); "
            "the log above says why"
        )


YOUNG_GENERATION_THRESHOLD = 10_000
"""Allocations (less deallocations) that start a collection of the youngest generation;
Python's default is 700."""


def settle_heap() -> None:
    """Tune the cyclic garbage collector for a long-running service, once it is built.

    Everything imported and built so far lives as long as the process: it is moved out of the
    collector's sight. Otherwise every full collection walks it all (some 130,000 objects:
    50-500 ms with the event loop stopped, measured on the 2-core development machine), and
    one such pause in a second of steady load is its p99.

    A message's path allocates thousands of short-lived objects (rows, models, frames), nearly
    all freed by reference counting; with the default threshold of 700 the collector still ran
    about 100 young collections a second per service under full load, and at Kela 2-3 % of its
    CPU went to collecting during the benchmark (timed with ``gc.callbacks``: 150-170 ms in a
    run, the county 35-55 ms). At 10,000, and each older generation collected every 10th time
    of the one below, the same runs spent 23 ms and 2.5 ms, with the longest pause 2.6 ms.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 10, 10)
