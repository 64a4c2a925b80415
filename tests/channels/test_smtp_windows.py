"""The SMTP limiter's moving windows: a hit counts for exactly the window's length, the
oldest hit says when room frees, and senders who fell quiet are forgotten within a
window, so memory and time follow the mail, not every address ever seen."""
from __future__ import annotations

from router.queue.moving_windows import MovingWindows

WINDOW = 600.0


def test_a_hit_counts_for_the_window_and_no_longer():
    windows = MovingWindows(WINDOW)
    key = ("sender", "wei@example.com")
    windows.hit(key, 1000.0)
    windows.hit(key, 1100.0)
    assert windows.count(key, 1100.0) == 2
    assert windows.frees_at(key) == 1600.0
    assert windows.count(key, 1599.9) == 2
    assert windows.count(key, 1600.0) == 1     # the first hit has left
    assert windows.frees_at(key) == 1700.0
    assert windows.count(key, 1700.0) == 0
    assert windows.count(("sender", "nobody@example.com"), 1700.0) == 0


def test_keys_that_fell_quiet_are_forgotten_within_a_window():
    windows = MovingWindows(WINDOW)
    for i in range(5000):
        windows.hit(("sender", f"s{i}@example.com"), 1000.0 + i * 0.01)
    windows.hit(("ip", "192.0.2.7"), 1000.0 + WINDOW + 60)   # a sweep: everyone above is out of the window
    windows.hit(("ip", "192.0.2.7"), 1000.0 + 2 * WINDOW + 120)  # and another one a window later
    assert windows.count(("ip", "192.0.2.7"), 1000.0 + 2 * WINDOW + 120) == 1
    assert len(windows) == 1, "5,000 quiet senders still held"
