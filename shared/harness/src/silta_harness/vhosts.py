"""A RabbitMQ virtual host of one run's own on a shared broker, for tests and the benchmark.

Several runs (two developers' ``make test``, CI beside a session, the benchmark) may share one
machine's broker. A run that used a fixed virtual host would consume and park the other run's
messages, so each run leases one virtual host of a small pool: ``<prefix>-0``, ``<prefix>-1``,
... The lease is an exclusive ``flock`` on a file per virtual host, which the kernel drops
when the process ends, however it ends, so a crashed run never keeps its virtual host.

Virtual hosts are created once and kept: creating and deleting many of them full of quorum
queues wedges RabbitMQ 3.10. What a run leaves behind is deleted instead: every queue in the
leased virtual host, before the run (a crashed run's leftovers would receive messages that
tests expect to be unroutable) and after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

import aio_pika

LOCK_DIRECTORY = Path(tempfile.gettempdir()) / "silta-vhosts"
POOL_SIZE = 8


class NoFreeVirtualHost(RuntimeError):
    """Every virtual host of the pool (or the one asked for) is leased by another run."""


@dataclass(frozen=True)
class VirtualHost:
    name: str
    amqp_url: str
    """guest's URL on it (the local broker's only user in development)."""


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def rabbitmqctl(*args: str, timeout: float = 180.0) -> str:
    """Run the local broker's ``rabbitmqctl -q args``; its output. On a timeout, end it and
    everything it started.

    The CLI starts an Erlang VM through ``su`` (a new session), which a plain kill of the
    wrapper leaves behind holding its output open: output goes to a file, not a pipe.
    """
    command = ["rabbitmqctl", "-q", *args]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in [*_descendants(process.pid), process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            process.wait()
            raise
        output.seek(0)
        text = output.read().decode(errors="replace")
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, text)
    return text


def _lease(name: str) -> IO[str] | None:
    """The open, locked lease file of ``name``, or None when another run holds it."""
    LOCK_DIRECTORY.mkdir(parents=True, exist_ok=True)
    handle = (LOCK_DIRECTORY / f"{name}.lock").open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


async def delete_queues(amqp_url: str, names: Iterable[str]) -> None:
    """Delete the queues ``names`` (absent ones are no error); a busy broker may not hang or
    fail the run."""
    connection = await aio_pika.connect(amqp_url, timeout=30)
    try:
        for name in names:
            channel = await connection.channel()  # a failed delete closes its channel
            with contextlib.suppress(aio_pika.exceptions.ChannelClosed, TimeoutError):
                await asyncio.wait_for(channel.queue_delete(name), 30)
    finally:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(connection.close(), 30)


async def _delete_all_queues(vhost: VirtualHost) -> None:
    listed = rabbitmqctl("list_queues", "-p", vhost.name, "name", "--no-table-headers")
    names = [line.strip() for line in listed.splitlines() if line.strip()]
    if names:
        await delete_queues(vhost.amqp_url, names)


def _prepare(name: str, host: str, port: int) -> VirtualHost:
    if name not in rabbitmqctl("list_vhosts", "name", "--no-table-headers").split():
        rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return VirtualHost(name, f"amqp://guest:guest@{host}:{port}/{quote(name, safe='')}")


@contextmanager
def leased_vhost(
    prefix: str,
    *,
    name: str | None = None,
    host: str = "127.0.0.1",
    port: int = 5672,
    pool: int = POOL_SIZE,
) -> Iterator[VirtualHost]:
    """Lease a virtual host for this run: ``name`` if given (an operator's override), else
    the first free one of ``<prefix>-0`` .. ``<prefix>-<pool - 1>``; emptied of queues before
    and after. Raises `NoFreeVirtualHost` when none is free."""
    candidates = [name] if name else [f"{prefix}-{n}" for n in range(pool)]
    for candidate in candidates:
        handle = _lease(candidate)
        if handle is not None:
            break
    else:
        raise NoFreeVirtualHost(
            f"virtual host {name} is leased by another run"
            if name
            else f"all {pool} virtual hosts {prefix}-N are leased by other runs"
        )
    try:
        vhost = _prepare(candidate, host, port)
        asyncio.run(_delete_all_queues(vhost))
        try:
            yield vhost
        finally:
            asyncio.run(_delete_all_queues(vhost))
    finally:
        handle.close()  # closing the file drops the lock
