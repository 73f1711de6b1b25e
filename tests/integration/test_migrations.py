"""The migration histories: a service's own and the shared tables' one.

Each history is one linear chain that imports no project code, and migrating an empty
database leaves exactly the schema of the tables the code uses, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
import asyncio
import sys
from pathlib import Path
from typing import Any

import kela_side.db.cooperation
import kela_side.db.statements
import municipality_side.db.cooperation
import municipality_side.db.statements
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from silta_platform.migrations import SHARED_HISTORY, histories
from silta_protection.access_log import GENESIS_HASH
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import migrate
from tests.integration.conftest import KELA_MIGRATIONS, MUNICIPALITY_MIGRATIONS

# The statements and cooperation modules add their tables to the service's metadata.
SERVICES = {
    "kela-side": (KELA_MIGRATIONS, kela_side.db.statements.metadata),
    "municipality-side": (MUNICIPALITY_MIGRATIONS, municipality_side.db.statements.metadata),
}
HISTORIES = {
    "shared": SHARED_HISTORY,
    **{service: history for service, (history, _) in SERVICES.items()},
}
PROJECT_PACKAGES = ("silta_", "kela_side", "municipality_side")
MODEL = "model"
"""The schema (PostgreSQL) or attached database (SQLite) the metadata itself is created in."""


@pytest.mark.parametrize("name", HISTORIES)
def test_each_history_is_one_linear_chain(name: str) -> None:
    script = ScriptDirectory(str(HISTORIES[name]))
    revisions = list(script.walk_revisions())
    assert revisions
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    assert all(not revision.is_merge_point for revision in revisions)


@pytest.mark.parametrize("name", HISTORIES)
def test_no_migration_imports_project_code(name: str) -> None:
    """A migration is history: it must not change when the live code does."""
    for path in sorted((HISTORIES[name] / "versions").glob("*.py")):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
        assert not {module for module in imported if module.startswith(PROJECT_PACKAGES)}, path


def test_the_shared_history_comes_after_each_service_history() -> None:
    """The shared records refer to the service's referrals."""
    assert [history for history, _ in histories(KELA_MIGRATIONS)] == [
        KELA_MIGRATIONS,
        SHARED_HISTORY,
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_a_migrated_database_has_exactly_the_tables_the_code_uses(
    service: str, database_url: str, tmp_path: Path
) -> None:
    migrations_dir, metadata = SERVICES[service]
    await migrate(migrations_dir, database_url)
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(differences, metadata) == []
            migrated = await conn.run_sync(reflect, None)
            await conn.run_sync(create_model, metadata, tmp_path / "model.db")
            assert migrated == await conn.run_sync(reflect, MODEL)
            head = await conn.execute(text("SELECT id, last_seq, last_hash FROM access_log_head"))
            assert head.all() == [(1, 0, GENESIS_HASH)]  # the hash chain's start
    finally:
        await engine.dispose()


def differences(conn: Connection, metadata: MetaData) -> list[Any]:
    """Alembic's comparison: what autogenerate would write (tables, columns, types,
    nullability, server defaults, indexes, unique constraints, foreign keys)."""

    def include_name(name: str | None, type_: str, _parents: object) -> bool:
        return not (type_ == "table" and (name or "").startswith("alembic_version"))

    context = MigrationContext.configure(
        conn,
        opts={"compare_type": True, "compare_server_default": True, "include_name": include_name},
    )
    return list(compare_metadata(context, metadata))


def create_model(conn: Connection, metadata: MetaData, sqlite_file: Path) -> None:
    """The metadata's own tables beside the migrated ones, for the database to describe both
    in its own words: primary keys and partial-index predicates, which Alembic leaves out."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"ATTACH DATABASE '{sqlite_file}' AS {MODEL}")
    else:
        conn.exec_driver_sql(f"CREATE SCHEMA {MODEL}")
    metadata.create_all(conn.execution_options(schema_translate_map={None: MODEL}))


def reflect(conn: Connection, schema: str | None) -> dict[str, Any]:
    inspector = inspect(conn)

    def plain(value: object) -> str:
        return str(value).replace(f"{MODEL}.", "")

    tables: dict[str, Any] = {}
    for table in inspector.get_table_names(schema=schema):
        if table.startswith("alembic_version"):
            continue
        tables[table] = {
            # In any order: a column a later migration adds comes last in the table.
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], plain(c["default"]))
                for c in inspector.get_columns(table, schema)
            ),
            "primary key": inspector.get_pk_constraint(table, schema)["constrained_columns"],
            "indexes": sorted(
                (
                    str(index["name"]),
                    str(index["column_names"]),
                    index["unique"],
                    sorted((key, plain(value)) for key, value in index["dialect_options"].items()),
                )
                for index in inspector.get_indexes(table, schema)
            ),
            "unique": sorted(
                str(unique["column_names"])
                for unique in inspector.get_unique_constraints(table, schema)
            ),
            "foreign keys": sorted(
                (str(fk["constrained_columns"]), fk["referred_table"], str(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table, schema)
            ),
            "triggers": triggers(conn, schema or "public", table),
        }
    return tables


def triggers(conn: Connection, schema: str, table: str) -> list[tuple[str, ...]]:
    """The table's triggers (PostgreSQL: some work of every insert is done by one)."""
    if conn.dialect.name != "postgresql":
        return []
    query = text(
        "SELECT trigger_name, event_manipulation, action_timing, action_orientation, "
        "action_statement FROM information_schema.triggers "
        "WHERE event_object_schema = :schema AND event_object_table = :table"
    )
    return sorted(tuple(row) for row in conn.execute(query, {"schema": schema, "table": table}))


async def test_replicas_starting_together_migrate_once_without_failing(postgres_url: str) -> None:
    """Three replicas (Kubernetes starts them at once) migrate the same empty PostgreSQL
    database at the same time, each in its own process: all succeed, the schema is at head."""
    code = "import sys; from pathlib import Path; from silta_platform.migrations import upgrade; "
    code += "upgrade(Path(sys.argv[1]), sys.argv[2])"
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            str(KELA_MIGRATIONS),
            postgres_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outcomes = [await asyncio.wait_for(r.communicate(), 120) for r in replicas]
    failed = [
        err.decode()[-2000:] for r, (_, err) in zip(replicas, outcomes, strict=True) if r.returncode
    ]
    assert failed == []
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            for table in ("alembic_version", "alembic_version_shared"):
                count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()  # noqa: S608 - a constant
                assert count == 1, table
    finally:
        await engine.dispose()
