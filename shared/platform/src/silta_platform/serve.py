"""Starting a service process: logging, migrations, then uvicorn."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from silta_platform.logs import configure_logging
from silta_platform.migrations import upgrade
from silta_platform.settings import ServiceSettings
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
        upgrade(migrations_dir, settings.database_url)
    app = app_factory(settings)
    # Everything imported and built so far lives as long as the process: move it out of the
    # cyclic garbage collector's sight. Otherwise every full collection walks it all (some
    # 130,000 objects: 50-500 ms with the event loop stopped, measured on the 2-core
    # development machine), and one such pause in a second of steady load is its p99.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # it logs the path and query as sent: silta_platform.access_log
        timeout_graceful_shutdown=10,
        **uvicorn_tls(settings),
    )
