"""A supervisor for services in the foreground (``make run``): their output prefixed with
their names on one stream, both stopped on Ctrl-C / SIGTERM.

SIGTERM to each child, up to ``stop_timeout`` s to exit, then SIGKILL; a second signal kills
at once. ``supervise`` returns 0 after a requested stop, non-zero if a service dies on its
own (the others are stopped first). The children run in their own process group, so a
Ctrl-C in the terminal reaches only the supervisor, which then shuts them down in order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

STOP_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 120.0
POLL_S = 0.1

_COLOURS = ("\033[36m", "\033[35m", "\033[33m", "\033[32m")
_RESET = "\033[0m"


@dataclass(frozen=True)
class Service:
    """One child process to supervise."""

    name: str
    argv: Sequence[str]
    info: Sequence[str] = ()
    health_url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Running:
    service: Service
    proc: subprocess.Popen[bytes]
    reader: threading.Thread


class _Output:
    """Serialises lines from several threads onto one stream."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ

    def line(self, text: str) -> None:
        with self._lock:
            try:
                self._stream.write(text + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                pass

    def prefix(self, name: str, index: int) -> str:
        tag = f"[{name}]"
        if self.colour:
            return f"{_COLOURS[index % len(_COLOURS)]}{tag}{_RESET}"
        return tag


def _pump(stream: IO[bytes], prefix: str, out: _Output) -> None:
    for raw in iter(stream.readline, b""):
        out.line(f"{prefix} {raw.decode(errors='replace').rstrip()}")
    stream.close()


def _wait_ready(service: Service, stopping: threading.Event, out: _Output) -> None:
    assert service.health_url is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stopping.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(service.health_url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    out.line(f"[run] {service.name} is ready ({service.health_url})")
                    return
        except (OSError, urllib.error.URLError):
            pass
        stopping.wait(0.5)


def _stop(
    running: Sequence[_Running], timeout: float, force: threading.Event, out: _Output
) -> None:
    """SIGTERM every live child, wait up to ``timeout`` s (or until ``force``), then SIGKILL."""
    for r in running:
        if r.proc.poll() is None:
            out.line(f"[run] stopping {r.service.name} (pid {r.proc.pid})")
            r.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while (
        any(r.proc.poll() is None for r in running)
        and time.monotonic() < deadline
        and not force.is_set()
    ):
        force.wait(POLL_S)
    for r in running:
        if r.proc.poll() is None:
            reason = "on request" if force.is_set() else f"after {timeout:g} s"
            out.line(f"[run] {r.service.name} did not stop; killing it ({reason})")
            r.proc.kill()
            r.proc.wait()
    for r in running:
        r.reader.join(timeout=2)


def supervise(
    services: Sequence[Service],
    *,
    stop_timeout: float = STOP_TIMEOUT_S,
    cwd: Path | None = None,
    stream: IO[str] | None = None,
) -> int:
    """Run ``services`` until a signal arrives (returns 0) or one dies (returns non-zero)."""
    out = _Output(stream if stream is not None else sys.stdout)
    stop_requested = threading.Event()
    force = threading.Event()
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop_requested.is_set():
            out.line(f"[run] {name} received again; killing services")
            force.set()
            return
        out.line(f"[run] {name} received; stopping services (again to kill them)")
        stop_requested.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    running: list[_Running] = []
    try:
        for index, service in enumerate(services):
            proc = subprocess.Popen(
                list(service.argv),
                cwd=cwd,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **service.env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                process_group=0,
            )
            assert proc.stdout is not None
            reader = threading.Thread(
                target=_pump,
                args=(proc.stdout, out.prefix(service.name, index), out),
                name=f"output-{service.name}",
                daemon=True,
            )
            reader.start()
            running.append(_Running(service, proc, reader))
            out.line(f"[run] started {service.name} (pid {proc.pid})")
            if service.health_url is not None:
                threading.Thread(
                    target=_wait_ready, args=(service, stopping, out), daemon=True
                ).start()

        while not stop_requested.is_set():
            dead = next((r for r in running if r.proc.poll() is not None), None)
            if dead is not None:
                code = dead.proc.returncode
                out.line(f"[run] {dead.service.name} exited unexpectedly ({_describe(code)})")
                stopping.set()
                _stop(running, stop_timeout, force, out)
                return code if code > 0 else 1
            stop_requested.wait(POLL_S)

        stopping.set()
        _stop(running, stop_timeout, force, out)
        for r in running:
            out.line(f"[run] {r.service.name} stopped ({_describe(r.proc.returncode)})")
        out.line("[run] all services stopped")
        return 0
    finally:
        stopping.set()
        # Never leave children behind, whatever went wrong above.
        for r in running:
            if r.proc.poll() is None:
                r.proc.kill()
                r.proc.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _describe(returncode: int) -> str:
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"exit code {returncode}"
