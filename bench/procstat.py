"""CPU accounting of processes from ``/proc`` (Linux), without extra dependencies."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")

PidSource = Callable[[], Sequence[int]]
"""Returns the pids making up one named participant (looked up at start and at stop)."""


def cpu_seconds(pid: int, thread: int | None = None) -> float | None:
    """User + system CPU seconds of ``pid`` (all its threads, or only ``thread``).

    None if it is gone.
    """
    path = _PROC / str(pid) / ("stat" if thread is None else f"task/{thread}/stat")
    try:
        stat = path.read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    # After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def pids_named(command: str) -> list[int]:
    """Pids whose ``comm`` is ``command`` (e.g. ``beam.smp``, ``postgres``); read only."""
    found = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def rabbitmq_server_pids() -> list[int]:
    """The RabbitMQ server's Erlang VM (``-s rabbit``), not a short-lived ``rabbitmqctl``."""
    found = []
    for pid in pids_named("beam.smp"):
        try:
            arguments = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a == b"-s" and b == b"rabbit" for a, b in itertools.pairwise(arguments)):
            found.append(pid)
    return found


_POSTGRES_SHARED = (b"walwriter", b"checkpointer", b"background writer", b"wal writer")


def postgres_pids(databases: Sequence[str]) -> list[int]:
    """PostgreSQL backends serving ``databases`` plus the shared writers (not other clients')."""
    wanted = [name.encode() for name in databases] + list(_POSTGRES_SHARED)
    found = []
    for pid in pids_named("postgres"):
        try:
            title = (_PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue
        if any(marker in title for marker in wanted):
            found.append(pid)
    return found


def _system_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from the first line of ``/proc/stat``."""
    values = [int(v) for v in (_PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


@dataclass(frozen=True)
class CpuUsage:
    """CPU used over a window: per participant in % of ONE core, the machine in % of all."""

    seconds: float
    per_process: dict[str, float]
    machine_percent: float
    cores: int
    others_percent: float
    """The machine's busy time not used by the participants, in % of one core."""
    main_threads: dict[str, float] = field(default_factory=dict)
    """Participant → CPU of its main thread (a service's event loop), in % of one core."""


def _only(pid: int) -> PidSource:
    return lambda: [pid]


def service_meter(services: Mapping[str, int], database: str, databases: Sequence[str]) -> CpuMeter:
    """A meter of the services (name → pid, and their main threads), the broker, this
    process (the load generator) and, on PostgreSQL, the backends of ``databases``."""
    participants: dict[str, PidSource] = {name: _only(pid) for name, pid in services.items()}
    participants["rabbitmq"] = rabbitmq_server_pids
    participants["bench"] = lambda: [os.getpid()]
    if database == "postgresql":
        participants["postgresql"] = lambda: postgres_pids(databases)
    return CpuMeter(participants, main_threads=services)


class CpuMeter:
    """Measures the CPU of named participants between ``start`` and ``stop``."""

    def __init__(
        self, participants: Mapping[str, PidSource], main_threads: Mapping[str, int] | None = None
    ) -> None:
        self._participants = dict(participants)
        self._main_threads = dict(main_threads or {})
        self._threads_before: dict[str, float] = {}
        self._before: dict[str, dict[int, float]] = {}
        self._system: tuple[int, int] = (0, 0)
        self._started = 0.0

    def _snapshot(self) -> dict[str, dict[int, float]]:
        result: dict[str, dict[int, float]] = {}
        for name, source in self._participants.items():
            per_pid = {}
            for pid in source():
                used = cpu_seconds(pid)
                if used is not None:
                    per_pid[pid] = used
            result[name] = per_pid
        return result

    def _thread_snapshot(self) -> dict[str, float]:
        result = {}
        for name, pid in self._main_threads.items():
            used = cpu_seconds(pid, pid)
            if used is not None:
                result[name] = used
        return result

    def start(self) -> None:
        self._threads_before = self._thread_snapshot()
        self._before = self._snapshot()
        self._system = _system_ticks()
        self._started = time.perf_counter()

    def stop(self) -> CpuUsage:
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        after = self._snapshot()
        threads_after = self._thread_snapshot()
        busy, total = _system_ticks()
        per_process = {}
        for name, pids in after.items():
            before = self._before.get(name, {})
            # A pid that appeared in the window (a new PostgreSQL backend) counts from zero.
            used = sum(now - before.get(pid, 0.0) for pid, now in pids.items())
            per_process[name] = round(100.0 * used / elapsed, 1)
        busy_delta, total_delta = busy - self._system[0], total - self._system[1]
        machine = 100.0 * busy_delta / total_delta if total_delta > 0 else 0.0
        cores = os.cpu_count() or 1
        others = max(0.0, machine * cores - sum(per_process.values()))
        return CpuUsage(
            seconds=round(elapsed, 3),
            per_process=per_process,
            machine_percent=round(machine, 1),
            cores=cores,
            others_percent=round(others, 1),
            main_threads={
                name: round(100.0 * (used - self._threads_before[name]) / elapsed, 1)
                for name, used in threads_after.items()
                if name in self._threads_before
            },
        )
