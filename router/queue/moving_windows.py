"""Moving windows counted in this process's memory: how many hits each key had in the
last so many seconds.

The SMTP limiter counts its windows here, and so do the web app's rate limits on the
embedded desk (no Redis). Not the `limits` library's memory store: it expires entries
from a timer thread that walks every key every 10 ms, and with 5,000 keys inside the
window that took 44% of a core (20,000: 79%), under the interpreter lock every server
thread needs. Here the cost follows the hits, not the number of keys.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Hashable

from limits import RateLimitItem


class MovingWindows:
    """The hits of each key in the last `seconds`: a deque per key, pruned when the key is
    read, and keys that fell quiet dropped in one sweep a window. Not thread-safe: the SMTP
    server calls it from its event loop only; RateCounts locks around it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._hits: dict[Hashable, deque[float]] = {}
        self._next_sweep = 0.0

    def count(self, key: Hashable, now: float) -> int:
        hits = self._hits.get(key)
        if not hits:
            return 0
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        return len(hits)

    def __len__(self) -> int:
        """The keys held: those hit within about the last two windows."""
        return len(self._hits)

    def frees_at(self, key: Hashable) -> float:
        """When the oldest hit still counted leaves the window."""
        return self._hits[key][0] + self.seconds

    def hit(self, key: Hashable, now: float) -> None:
        if now >= self._next_sweep:
            self._hits = {k: hits for k, hits in self._hits.items() if hits and hits[-1] > now - self.seconds}
            self._next_sweep = now + self.seconds
        self._hits.setdefault(key, deque()).append(now)


class RateCounts:
    """Rates such as "10 per hour" over moving windows, one set of windows per rate; safe
    to call from any thread (the web app's routes run on a thread pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[int, int], MovingWindows] = {}

    def hit(self, rate: RateLimitItem, *keys: str, now: float | None = None) -> int:
        """Count one hit on `keys` when the window has room: 0. Otherwise count nothing and
        return the whole seconds until the oldest hit leaves the window (at least 1)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seconds = rate.get_expiry()
            windows = self._windows.get((rate.amount, seconds))
            if windows is None:
                windows = self._windows[(rate.amount, seconds)] = MovingWindows(seconds)
            if windows.count(keys, now) < rate.amount:
                windows.hit(keys, now)
                return 0
            return max(1, math.ceil(windows.frees_at(keys) - now))
