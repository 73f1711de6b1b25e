"""Telling "our own database does not answer" apart from "this work failed".

A database that refuses connections, is starting up, restarting, or dropped the connection
in the middle of a transaction says nothing about the message or request at hand: the same
work succeeds once it answers. So the consumer holds its batch (never using up a message's
delivery limit), the relay waits, and the HTTP API answers 503 with ``Retry-After``; each
logs one line per outage instead of a traceback per attempt (:class:`Outage`).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import exc

UNAVAILABLE_SQLSTATES = frozenset(
    {
        "57P01",  # admin_shutdown: the server is stopping
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: "the database system is starting up"
        "53300",  # too_many_connections
    }
)
CONNECTION_EXCEPTION_CLASS = "08"
"""SQLSTATE class of every connection exception (refused, lost, failed)."""

_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    exc.OperationalError,  # SQLite: locked or unreadable; others: the server went away
    exc.InterfaceError,
    exc.TimeoutError,  # no pooled connection came free in time
    OSError,  # connection refused, reset, host unreachable
    TimeoutError,
)


def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) means the database does not answer now."""
    for cause in _chain(error):
        if isinstance(cause, _UNAVAILABLE_TYPES):
            return True
        if isinstance(cause, exc.DBAPIError) and cause.connection_invalidated:
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith(CONNECTION_EXCEPTION_CLASS) or sqlstate in UNAVAILABLE_SQLSTATES
        ):
            return True
    return False


def describe(error: BaseException) -> str:
    """What failed, for a log line: exception class names and SQLSTATE, never the message
    text (SQLAlchemy's carries the statement's parameters, which may be personal data)."""
    names = []
    sqlstate = None
    for cause in _chain(error):
        if type(cause).__name__ not in names:
            names.append(type(cause).__name__)
        sqlstate = sqlstate or getattr(cause, "sqlstate", None)
    return " <- ".join(names) + (f" [{sqlstate}]" if isinstance(sqlstate, str) else "")


def _chain(error: BaseException) -> list[BaseException]:
    """``error``, the driver's error it wraps (``orig``) and their causes, each once."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is seen for seen in found) or len(found) > 10:
            continue
        found.append(current)
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__]
    return found


class Outage:
    """One line when the database stops answering, one when it answers again."""

    def __init__(self, logger: logging.Logger, who: str, meanwhile: str = "") -> None:
        """``who`` waits (``the outbox relay``); ``meanwhile`` adds what it does then."""
        self._log = logger
        self._who = who
        self._meanwhile = meanwhile
        self._since: float | None = None
        self._delay = 0.0

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException, initial: float = 0.05, most: float = 5.0) -> float:
        """Note a failed attempt; return how long to wait before the next (doubling)."""
        if self._since is None:
            self._since = time.monotonic()
            self._delay = initial
            self._log.warning(
                "database unavailable (%s); %s waits until it answers%s",
                describe(error),
                self._who,
                self._meanwhile,
            )
        else:
            self._delay = min(self._delay * 2, most)
        return self._delay

    def recovered(self) -> None:
        """Note a success; logs the end of an outage if there was one."""
        if self._since is not None:
            self._log.warning(
                "database answers again after %.1f s; %s goes on",
                time.monotonic() - self._since,
                self._who,
            )
            self._since = None
