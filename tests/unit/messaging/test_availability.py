"""Which errors mean "our database does not answer" (hold, retry, 503) and which mean "this
work failed" (delivery limit, 500); and the log line that names them without any data."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from silta_messaging.availability import Outage, database_unavailable, describe
from sqlalchemy import exc


class DriverError(Exception):
    """As SQLAlchemy's asyncpg adapter wraps a server error: its SQLSTATE, the cause."""

    def __init__(self, message: str, cause: BaseException) -> None:
        super().__init__(message)
        self.sqlstate = getattr(cause, "sqlstate", None)
        self.__cause__ = cause


def wrapped(cause: BaseException, *, invalidated: bool = False) -> exc.DBAPIError:
    """A server error as SQLAlchemy raises it, with the statement's parameters."""
    return exc.DBAPIError(
        "INSERT INTO referrals VALUES ($1)",
        ("131052-308T",),
        DriverError(str(cause), cause),
        connection_invalidated=invalidated,
    )


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")),
        wrapped(asyncpg.exceptions.TooManyConnectionsError("too many clients")),
        wrapped(RuntimeError("closed in the middle of operation"), invalidated=True),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        exc.TimeoutError("QueuePool limit reached"),
        exc.OperationalError("BEGIN IMMEDIATE", (), Exception("database is locked")),
    ],
    ids=lambda error: describe(error),
)
def test_the_database_not_answering_is_told_apart(error: BaseException) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
        wrapped(asyncpg.exceptions.NumericValueOutOfRangeError("out of range")),
        wrapped(asyncpg.exceptions.UndefinedTableError("no such table")),
        RuntimeError("handler bug"),
        ValueError("bad payload"),
    ],
    ids=lambda error: describe(error),
)
def test_a_failure_of_the_work_itself_is_not_an_outage(error: BaseException) -> None:
    assert not database_unavailable(error)


def test_the_description_names_classes_and_sqlstate_never_the_data() -> None:
    error = wrapped(asyncpg.exceptions.CannotConnectNowError("starting up"))
    described = describe(error)
    assert described == "DBAPIError <- DriverError <- CannotConnectNowError [57P03]"
    assert "131052-308T" not in described
    assert "INSERT" not in described


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = Outage(logging.getLogger("test"), "the test")
    refused = ConnectionRefusedError(111, "refused")
    delays = [outage.failed(refused) for _ in range(10)]
    outage.recovered()
    outage.recovered()
    assert delays[0] == 0.05
    assert delays == sorted(delays)
    assert max(delays) == 5.0
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("database unavailable (ConnectionRefusedError)")
    assert lines[1].startswith("database answers again after")


def test_the_relay_lease_calls_a_driver_state_error_a_broken_connection() -> None:
    """The lease calls asyncpg directly: a call refused because the server was ending the
    session is an outage (one line), not a traceback; an error of the SQL itself is not."""
    import asyncpg
    from silta_messaging.lease import connection_broke

    stopping = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    assert connection_broke(stopping)
    assert connection_broke(asyncpg.InterfaceError("connection is closed"))
    assert not connection_broke(asyncpg.exceptions.UndefinedFunctionError("no such function"))
    assert database_unavailable(ConnectionResetError("the relay lease's connection broke"))
