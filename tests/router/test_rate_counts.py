"""The embedded desk's rate limits, counted in memory (router/queue/moving_windows.py):
an exact moving window per rate, a refusal that counts nothing and says how long to wait,
the same rate for several keys counted apart, and the count right when many threads hit
one key at once, as the web app's thread pool does."""
from __future__ import annotations

import threading

from limits import parse

from router.queue.moving_windows import RateCounts
from router.queue.rate_limits import RateLimits


def test_the_window_moves_with_each_hit_and_a_refusal_counts_nothing():
    counts, rate = RateCounts(), parse("2 per minute")
    assert counts.hit(rate, "form", "ip", "203.0.113.7", now=1000.0) == 0
    assert counts.hit(rate, "form", "ip", "203.0.113.7", now=1030.0) == 0
    # Full: refused until the first hit leaves the window, 60 s after it came.
    assert counts.hit(rate, "form", "ip", "203.0.113.7", now=1040.0) == 20
    assert counts.hit(rate, "form", "ip", "203.0.113.7", now=1059.5) == 1
    # The refusals were not counted: room again once the first hit has left...
    assert counts.hit(rate, "form", "ip", "203.0.113.7", now=1060.0) == 0
    # ... and only one place, since the second hit is still inside.
    assert counts.hit(rate, "form", "ip", "203.0.113.7", now=1061.0) == 29


def test_keys_and_rates_are_counted_apart():
    counts = RateCounts()
    per_minute, per_hour = parse("1 per minute"), parse("3 per hour")
    assert counts.hit(per_minute, "chat", "a", now=0.0) == 0
    assert counts.hit(per_minute, "chat", "b", now=0.0) == 0     # another key
    assert counts.hit(per_hour, "chat", "a", now=0.0) == 0       # another rate, same key
    assert counts.hit(per_minute, "chat", "a", now=1.0) == 59
    assert counts.hit(per_hour, "chat", "a", now=1.0) == 0


def test_many_threads_hitting_one_key_get_exactly_the_rate():
    counts, rate = RateCounts(), parse("50 per hour")
    allowed: list[int] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        allowed.extend(1 for _ in range(100) if counts.hit(rate, "form", "address", "lin@example.com") == 0)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 50


def test_without_redis_rate_limits_count_in_memory_and_start_no_thread():
    before = set(threading.enumerate())
    limits = RateLimits(None)
    waits = [limits.hit("3 per minute", "csat", "ip", f"198.51.100.{n % 200}") for n in range(2000)]
    assert waits.count(0) == 600 and all(w > 0 for w in waits[600:])
    # The `limits` library's memory store expired its entries from a thread walking every
    # key every 10 ms; nothing here runs between hits.
    assert set(threading.enumerate()) == before
