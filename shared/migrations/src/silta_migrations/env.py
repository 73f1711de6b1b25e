from alembic import context
from silta_service.migrations import run_env

run_env(context)
