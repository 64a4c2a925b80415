"""Rate limits for the doors that strangers knock on (the website form, the chat).

Counted in Redis when the desk has one, so every web process counts against the same
window (the doorbell's Redis), by the `limits` library; in this process's memory on the
embedded desk, where the web app is one process anyway, by router/queue/moving_windows.py
(the library's memory store runs a timer thread whose cost grows with the keys). Both
count an exact moving window. A limit is written as the `limits` library reads it,
"10 per hour"; each hit says whether it is allowed and, if not, how long to wait.
"""
from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from router.queue.moving_windows import RateCounts

log = logging.getLogger(__name__)


class RateLimits:
    def __init__(self, redis_url: str | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(RedisStorage(redis_url)) if redis_url else None
        self._memory = RateCounts()

    def hit(self, rate: str, *keys: str) -> int:
        """Count one hit on `keys` under `rate`; 0 when allowed, else the seconds to wait.

        A counting store that cannot be reached lets the hit through: a stranger's flood
        is worse than nothing, but refusing every customer while Redis is away is worse."""
        limit = parse(rate)
        if self._limiter is None:
            return self._memory.hit(limit, *keys)
        try:
            if self._limiter.hit(limit, *keys):
                return 0
            reset = self._limiter.get_window_stats(limit, *keys).reset_time
        except Exception as exc:  # noqa: BLE001 - see the docstring: fail open, say so
            log.warning("rate limit %s not counted (%s)", rate, type(exc).__name__)
            return 0
        return max(1, math.ceil(reset - time.time()))


def for_app(state: Any) -> RateLimits:
    """The web app's shared counters (one per app, kept on its `state`)."""
    limits = getattr(state, "rate_limits", None)
    if limits is None:
        from config.settings import get_settings

        limits = state.rate_limits = RateLimits(get_settings().doorbell_redis_url)
    return limits
