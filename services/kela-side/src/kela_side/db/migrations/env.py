from alembic import context
from kela_side.db.tables import metadata
from silta_platform.migrations import run_env

run_env(context, metadata)
