"""PostgreSQL: what every transaction writing the outbox or the change feed had to send as a
statement of its own (one more round trip each) is done by a trigger on the table, in the
round trip of the insert: ``NOTIFY silta_outbox`` after inserting outbox rows (it wakes the
relay at the commit), and the events' ordering lock before inserting events. The code that
sent them is gone, so a database at this revision needs both. SQLite needs neither.

Revision ID: shared_0012
"""

from alembic import op

revision = "shared_0012"
down_revision = "shared_0011"
branch_labels = None
depends_on = None

EVENTS_LOCK = 0x5111A_E7E
"""silta_records.events.EVENTS_LOCK, as it was at this revision."""

TRIGGERS = {
    # name: (table, when, PL/pgSQL)
    "silta_outbox_notify": ("silta_outbox", "AFTER", "NOTIFY silta_outbox;"),
    "silta_events_in_order": (
        "silta_events",
        "BEFORE",
        f"PERFORM pg_advisory_xact_lock({EVENTS_LOCK});",
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, when, body) in TRIGGERS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} {when} INSERT ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, _, _) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
