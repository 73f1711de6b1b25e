"""PostgreSQL statement-level triggers declared with their table.

Some of what a transaction must do once per statement on a table belongs to the table, not
to each caller: announcing new outbox rows (``NOTIFY``), ordering the transactions that
record events (an advisory lock). Run by a trigger, it rides on the statement that writes
the rows, where a separate statement was one more round trip to the server in the
transaction. Declared here, the trigger is created with its table by ``create_all``; the
migration that introduced it creates it in migrated databases. SQLite has no such need
(one writer at a time, and the relay is woken in-process).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import DDL, Table, event


def add_statement_trigger(
    table: Table, name: str, when: Literal["BEFORE", "AFTER"], body: str
) -> None:
    """On PostgreSQL, run the PL/pgSQL ``body`` once per ``INSERT`` statement on ``table``
    (``when``: before its first row or after its last), in the inserting transaction."""
    function = DDL(  # type: ignore[no-untyped-call]
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body} RETURN NULL; END $$"
    )
    # On the table as created, in whichever schema it is.
    trigger = DDL(  # type: ignore[no-untyped-call]
        f"CREATE TRIGGER {name} {when} INSERT ON %(fullname)s "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )
    for ddl in (function, trigger):
        event.listen(table, "after_create", ddl.execute_if(dialect="postgresql"))
