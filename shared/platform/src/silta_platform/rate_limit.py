"""A rate limit per caller on ``/v1``: 429 problem details with ``Retry-After``.

The caller is who the verified token says (organisation and subject); a request without a
valid token counts against its client address. The limits (``RATE_LIMIT``, e.g.
``100/second;3000/minute``, parsed by the ``limits`` library) are sliding-window counters
(constant memory and time per caller), kept in this process's memory: each replica of a
service counts its own callers.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from starlette.requests import Request

from silta_platform.problems import ProblemError, refusal


class RateLimiter:
    def __init__(self, limits: str) -> None:
        self.items: list[RateLimitItem] = parse_many(limits) if limits.strip() else []
        self._windows: dict[tuple[int, str], _Window] = {}
        self._counted = 0

    def retry_after(self, caller: str) -> int | None:
        """Count one request of ``caller``; None when it is within every limit, else the
        seconds until it would be (nothing is counted then)."""
        now = time.time()
        windows = [self._window(index, caller, now) for index in range(len(self.items))]
        for item, window in zip(self.items, windows, strict=True):
            if window.weighted(now) + 1 > item.amount:
                return max(1, math.ceil(window.ends - now))
        for window in windows:
            window.current += 1
        self._counted += 1
        if self._counted % _SWEEP_EVERY == 0:
            self._sweep(now)
        return None

    def _window(self, index: int, caller: str, now: float) -> _Window:
        period = float(self.items[index].get_expiry())
        start = math.floor(now / period) * period
        window = self._windows.get((index, caller))
        if window is None:
            window = self._windows[index, caller] = _Window(period, start)
        elif window.start != start:
            window.previous = window.current if window.start + period == start else 0
            window.current, window.start = 0, start
        return window

    def _sweep(self, now: float) -> None:
        """Forget callers idle for two windows (they count zero again anyway)."""
        for key, window in list(self._windows.items()):
            if window.start + 2 * window.period <= now:
                del self._windows[key]


_SWEEP_EVERY = 10_000


class _Window:
    """A sliding-window counter (what ``limits``' SlidingWindowCounter does), kept here on
    the event loop: ``limits``' memory storage starts a timer thread on almost every hit
    (a few % of the Kela side's CPU per request, measured with py-spy)."""

    __slots__ = ("current", "period", "previous", "start")

    def __init__(self, period: float, start: float) -> None:
        self.period, self.start = period, start
        self.current = self.previous = 0

    @property
    def ends(self) -> float:
        return self.start + self.period

    def weighted(self, now: float) -> float:
        """This window's count plus the previous one's, weighted by how much of it the
        sliding window still covers."""
        return self.previous * (1 - (now - self.start) / self.period) + self.current


def client_address(request: Request) -> str:
    return f"address:{request.client.host if request.client else 'unknown'}"


def principal_key(organisation: str, subject: str) -> str:
    return f"caller:{organisation}:{subject}"


def check_rate(limiter: RateLimiter, caller: str) -> None:
    """Raise 429 when ``caller`` is over its limit."""
    seconds = limiter.retry_after(caller)
    if seconds is not None:
        raise too_many_requests(seconds)


def too_many_requests(seconds: int) -> ProblemError:
    return refusal(
        429,
        "too-many-requests",
        "Too many requests",
        "Authorization",
        "rate.limit_exceeded",
        "too many requests from this caller; retry later",
        extra={"retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )
