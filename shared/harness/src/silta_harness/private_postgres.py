"""A private PostgreSQL server that a test can stop and start: ``initdb`` + ``pg_ctl``.

The fault tests need a database that refuses connections and then accepts them again,
which the machine's shared server must never do. The server runs from a data directory of
its own under the system's temporary directory, on a port of its own, with trust
authentication on the loopback interface only. PostgreSQL refuses to run as root: run as
root, the harness runs its commands as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from silta_harness.ports import free_port

SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (or no user to run them as)."""


def postgres_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are: on PATH, else the newest under /usr/lib/postgresql."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not found:
        raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found")
    return Path(found[-1]).parent


@dataclass
class PrivatePostgres:
    """One PostgreSQL server: :meth:`create` it, then :meth:`start` / :meth:`stop` at will,
    :meth:`destroy` at the end."""

    port: int = field(default_factory=free_port)
    bindir: Path = field(default_factory=postgres_bindir)
    directory: Path | None = None
    running: bool = False

    @property
    def dsn(self) -> str:
        """``postgresql://`` DSN of its ``postgres`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_server_user(self, *argv: str) -> list[str]:
        if os.geteuid() != 0:
            return list(argv)
        if shutil.which("runuser") is None:
            raise PostgresUnavailable("run as root and no runuser to run PostgreSQL as postgres")
        return ["runuser", "-u", SERVER_USER, "--", *argv]

    def _run(self, *argv: str, timeout: float = 120) -> None:
        result = subprocess.run(
            self._as_server_user(*argv), capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stdout}{result.stderr}")

    def create(self) -> None:
        """``initdb`` a new cluster (trust authentication, no fsync: it is thrown away)."""
        self.directory = Path(tempfile.mkdtemp(prefix="silta-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, SERVER_USER, SERVER_USER)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    @property
    def data(self) -> Path:
        assert self.directory is not None, "create() first"
        return self.directory / "data"

    def start(self, *, refusing: bool = False) -> None:
        """Start it and wait until it accepts connections; or, ``refusing``, as a standby
        that answers every connection "the database system is not accepting connections"
        (SQLSTATE 57P03, as while starting up) until :meth:`promote`."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        signal_file = str(self.data / "standby.signal")
        if refusing:
            options += " -c hot_standby=off"
            self._run("touch", signal_file)
        else:
            self._run("rm", "-f", signal_file)
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log") if self.directory else "server.log",
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = True

    def promote(self) -> None:
        """The refusing standby becomes the primary and accepts connections."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "promote")

    def stop(self, mode: str = "fast") -> None:
        """Stop it (``fast``: sessions are ended); from now on connections are refused."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def destroy(self) -> None:
        """Stop it if running and remove its files."""
        try:
            if self.running:
                self.stop("immediate")
        finally:
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)
                self.directory = None
