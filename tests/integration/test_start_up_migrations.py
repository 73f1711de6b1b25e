"""A service migrates its database at start-up in a child process (``silta_platform.serve``):
the schema is at head, the service's own process never holds Alembic (some 7 MB for its
whole life), and a failure stops the start with a clear error."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from silta_platform.serve import MigrationsFailed, migrate
from silta_platform.settings import ServiceSettings

from tests.integration.conftest import KELA_MIGRATIONS


def _settings(database_url: str) -> ServiceSettings:
    # Only the database URL and how to log are read; the rest of a service's settings
    # (keys, broker) play no part in migrating.
    return ServiceSettings.model_construct(
        database_url=database_url, log_level="INFO", log_format="json"
    )


def test_the_child_brings_the_database_to_head_and_the_service_never_imports_alembic(
    tmp_path: Path,
) -> None:
    database = tmp_path / "kela.db"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from silta_platform.serve import migrate\n"
        "from silta_platform.settings import ServiceSettings\n"
        "settings = ServiceSettings.model_construct(database_url=sys.argv[1],"
        " log_level='INFO', log_format='json')\n"
        "migrate('kela-side', settings, Path(sys.argv[2]))\n"
        "print('alembic' in sys.modules, 'mako' in sys.modules)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", code, f"sqlite+aiosqlite:///{database}", str(KELA_MIGRATIONS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode == 0, started.stderr[-2000:]
    assert started.stdout.split() == ["False", "False"]
    assert '"service": "kela-side"' in started.stderr  # the child logs as the service does
    with sqlite3.connect(database) as conn:
        for table in ("alembic_version", "alembic_version_shared"):
            (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - a constant
            assert count == 1, table
        (referrals,) = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'referrals'"
        ).fetchone()
        assert referrals == 1


def test_a_failed_migration_stops_the_start_naming_the_service(tmp_path: Path) -> None:
    unreachable = f"sqlite+aiosqlite:///{tmp_path / 'no such directory' / 'kela.db'}"
    with pytest.raises(MigrationsFailed) as failed:
        migrate("kela-side", _settings(unreachable), KELA_MIGRATIONS)
    assert "kela-side: the database migrations failed" in str(failed.value)
    assert not (tmp_path / "no such directory").exists()
