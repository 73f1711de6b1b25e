from alembic import context
from silta_platform.migrations import run_env

run_env(context)
