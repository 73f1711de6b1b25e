"""Optional sampling profiles of the services (py-spy) over the measured window."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
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


class PySpy:
    """``py-spy record --format raw`` on each service; ``stop`` writes the collapsed stacks."""

    def __init__(
        self, executable: str, directory: Path, *, rate: int, native: bool, gil: bool
    ) -> None:
        self._executable = executable
        self._directory = directory
        self._rate = rate
        self._native = native
        self._gil = gil
        self._recordings: list[Recording] = []

    def start(self, name: str, pid: int) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        output = self._directory / f"{name}.txt"
        log = self._directory / f"{name}.py-spy.log"
        command = [
            self._executable,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(self._rate),
            "--format",
            "raw",
            "--threads",
            "--output",
            str(output),
        ]
        if self._native:
            command.append("--native")
        if self._gil:
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


def category(frames: Sequence[str], thread: str = "") -> str:
    """Which part of a Silta service a sampled stack (outermost frame first) belongs to."""
    stack = ";".join(frames)
    if thread and "MainThread" not in thread:
        return "other threads (aiosqlite worker threads' Python code)"
    if "OutboxRelay." in stack or "Broker.publish" in stack:
        return "outbox relay: claim rows, publish with confirms, mark published"
    if "BatchConsumer." in stack:
        return "consumer: open envelopes, handler SQL, inbox, commit, ack"
    if any(part in stack for part in ("aiormq/", "aio_pika/", "pamqp/")):
        return "AMQP frame I/O (aiormq reader/writer, confirms)"
    if "run_endpoint_function" in stack:
        if any(part in stack for part in ("sqlalchemy/", "aiosqlite/", "asyncpg/")):
            return "HTTP endpoint: SQL (SQLAlchemy Core + driver), transaction"
        return "HTTP endpoint: domain (fingerprint, seal, records)"
    if "solve_dependencies" in stack or "request_body_to_args" in stack:
        return "HTTP request body: JSON parse + pydantic validation"
    if "serialize_response" in stack:
        return "HTTP response: response model validation + JSON"
    if any(part in stack for part in ("uvicorn/protocols/", "starlette/", "fastapi/")):
        return "HTTP stack: uvicorn, Starlette/FastAPI middleware and routing"
    if any(part in stack for part in ("sqlalchemy/", "aiosqlite/", "asyncpg/")):
        # SQLAlchemy's asyncio layer runs statements in greenlets: py-spy sees them without
        # their caller, so this is statement building, compiling, binding and results for
        # every caller (endpoint, relay, consumer), plus the driver's completion callbacks.
        return "SQLAlchemy in greenlets (any caller) + driver callbacks"
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
