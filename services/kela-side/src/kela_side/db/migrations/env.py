from alembic import context
from kela_side.db.tables import metadata
from silta_service.migrations import run_env

run_env(context, metadata)
