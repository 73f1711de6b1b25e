"""A rate limit per caller on ``/v1``: 429 problem details with ``Retry-After``.

The caller is who the verified token says (organisation and subject); a request without a
valid token counts against its client address. The limits (``RATE_LIMIT``, e.g.
``100/second;3000/minute``) are sliding-window counters of the ``limits`` library (constant
memory and time per caller), kept in this process's memory: each replica of a service counts
its own callers.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many, storage, strategies
from starlette.requests import Request

from silta_platform.problems import ProblemError, refusal


class RateLimiter:
    def __init__(self, limits: str) -> None:
        self.items: list[RateLimitItem] = parse_many(limits) if limits.strip() else []
        self._limiter = strategies.SlidingWindowCounterRateLimiter(storage.MemoryStorage())

    def retry_after(self, caller: str) -> int | None:
        """Count one request of ``caller``; None when it is within every limit, else the
        seconds until it would be (nothing is counted then)."""
        for item in self.items:
            if not self._limiter.test(item, caller):
                reset = self._limiter.get_window_stats(item, caller).reset_time
                return max(1, math.ceil(reset - time.time()))
        for item in self.items:
            self._limiter.hit(item, caller)
        return None


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
