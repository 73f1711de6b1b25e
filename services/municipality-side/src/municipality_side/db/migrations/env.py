from alembic import context
from silta_service.migrations import run_env

from municipality_side.db.tables import metadata

run_env(context, metadata)
