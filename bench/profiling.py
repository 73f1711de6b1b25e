"""Optional sampling profiles of the services (py-spy) over the measured window."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def find_py_spy() -> str | None:
    return os.environ.get("PY_SPY") or shutil.which("py-spy")


@dataclass
class Recording:
    name: str
    pid: int
    output: Path
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class PySpy:
    """``py-spy record --format raw`` on each service; ``stop`` writes the collapsed stacks."""

    executable: str
    directory: Path
    rate: int = field(kw_only=True)
    native: bool = field(kw_only=True)
    gil: bool = field(kw_only=True)
    _recordings: list[Recording] = field(default_factory=list, init=False)

    def start(self, name: str, pid: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        output = self.directory / f"{name}.txt"
        log = self.directory / f"{name}.py-spy.log"
        command = [
            self.executable,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(self.rate),
            "--format",
            "raw",
            "--threads",
            "--output",
            str(output),
        ]
        if self.native:
            command.append("--native")
        if self.gil:
            command.append("--gil")  # only the thread holding the GIL: Python CPU time
        with log.open("wb") as stream:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=stream, stderr=subprocess.STDOUT
            )
        self._recordings.append(Recording(name, pid, output, process, log))

    def stop(self) -> list[Recording]:
        """Interrupt every recorder (it then writes its file) and wait for it."""
        for recording in self._recordings:
            if recording.process.poll() is None:
                recording.process.send_signal(signal.SIGINT)
        for recording in self._recordings:
            try:
                recording.process.wait(30)
            except subprocess.TimeoutExpired:
                recording.process.kill()
                recording.process.wait()
        return self._recordings


@dataclass(frozen=True)
class ProfileSummary:
    name: str
    samples: int
    threads: dict[str, int]
    self_time: list[tuple[str, float]]
    """Function → % of the process's samples spent in it (innermost Python frame)."""
    inclusive: list[tuple[str, float]]
    """Function → % of samples with it anywhere on the stack (Silta, SQLAlchemy and so on)."""
    categories: list[tuple[str, float]]
    """Part of the service (see ``category``) → % of samples."""


_SQL = ("sqlalchemy/", "aiosqlite/", "asyncpg/")
_ENDPOINT = "HTTP endpoint: domain (fingerprint, seal, records)"
_ENDPOINT_SQL = "HTTP endpoint: SQL (SQLAlchemy Core + driver), transaction"
_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (category, any of these in the stack), the first that matches wins
    (
        "outbox relay: claim rows, publish with confirms, mark published",
        ("OutboxRelay.", "Broker.publish"),
    ),
    ("consumer: open envelopes, handler SQL, inbox, commit, ack", ("BatchConsumer.",)),
    ("AMQP frame I/O (aiormq reader/writer, confirms)", ("aiormq/", "aio_pika/", "pamqp/")),
    (_ENDPOINT, ("run_endpoint_function",)),  # _ENDPOINT_SQL if it is in SQL
    (
        "HTTP request body: JSON parse + pydantic validation",
        ("solve_dependencies", "request_body_to_args"),
    ),
    ("HTTP response: response model validation + JSON", ("serialize_response",)),
    (
        "HTTP stack: uvicorn, Starlette/FastAPI middleware and routing",
        ("uvicorn/protocols/", "starlette/", "fastapi/"),
    ),
    # SQLAlchemy's asyncio layer runs statements in greenlets: py-spy sees them without
    # their caller, so this is statement building, compiling, binding and results for
    # every caller (endpoint, relay, consumer), plus the driver's completion callbacks.
    ("SQLAlchemy in greenlets (any caller) + driver callbacks", _SQL),
)


def category(frames: Sequence[str], thread: str = "") -> str:
    """Which part of a Silta service a sampled stack (outermost frame first) belongs to."""
    stack = ";".join(frames)
    if thread and "MainThread" not in thread:
        return "other threads (aiosqlite worker threads' Python code)"
    for name, markers in _CATEGORIES:
        if any(marker in stack for marker in markers):
            if name == _ENDPOINT and any(part in stack for part in _SQL):
                return _ENDPOINT_SQL
            return name
    return "event loop (uvloop) and other"


def _frame_name(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"; keep function and file.
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


def summarise(name: str, path: Path, top: int = 25) -> ProfileSummary:
    """Self and inclusive time per function from py-spy's collapsed stacks."""
    self_counts: Counter[str] = Counter()
    inclusive_counts: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread, frames = (
            (frames[0], frames[1:]) if frames[0].startswith("thread ") else ("", frames)
        )
        if not frames:
            continue
        total += count
        threads[thread] += count
        self_counts[_frame_name(frames[-1])] += count
        categories[category(frames, thread)] += count
        for frame in {_frame_name(f) for f in frames}:
            inclusive_counts[frame] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(key, round(100.0 * n / total, 1)) for key, n in counter.most_common(top)]

    return ProfileSummary(
        name=name,
        samples=total,
        threads=dict(threads.most_common()),
        self_time=share(self_counts),
        inclusive=share(inclusive_counts),
        categories=share(categories),
    )


async def start_profiles(
    args: argparse.Namespace, services: Mapping[str, int], subdirectory: str = ""
) -> PySpy | None:
    """With ``--profile DIR``: py-spy recording each service (name → pid) from now on, into
    DIR (or ``DIR/subdirectory``)."""
    if args.profile is None:
        return None
    executable = find_py_spy()
    assert executable is not None  # the command line checked it
    profiler = PySpy(
        executable,
        args.profile / subdirectory,
        rate=args.profile_rate,
        native=args.profile_native,
        gil=args.profile_gil,
    )
    for name, pid in services.items():
        profiler.start(name, pid)
    await asyncio.sleep(0.5)  # py-spy attaches
    return profiler


def stop_profiles(profiler: PySpy | None) -> list[ProfileSummary]:
    """Stop the recordings and summarise each (a recorder that wrote nothing is reported)."""
    if profiler is None:
        return []
    summaries = []
    for recording in profiler.stop():
        if recording.output.exists():
            summaries.append(summarise(recording.name, recording.output))
        else:
            log = recording.log.read_text(errors="replace")[-500:]
            print(f"py-spy wrote no profile for {recording.name}: {log}", file=sys.stderr)
    return summaries
