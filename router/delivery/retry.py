"""When an outbound message that failed is tried again, and when its retries end.

The wait doubles from `delivery_backoff_first_seconds` up to `delivery_backoff_max_seconds`
(30 s, 1 min, 2 min, ... 30 min by default), shortened at random by up to
`delivery_backoff_jitter` of itself, so mail that failed together (a relay outage) does not
all come back in the same second. A service that names its own wait (`retry_after`) is
taken at its word. Retries go on for `delivery_retry_hours` (48) from the first failure;
the first failure after that parks the message.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from channels.base import DeliveryResult
from config.settings import Settings

MIN_RETRY_AFTER_SECONDS = 1.0  # a service's "retry after 0" must not make a busy loop


def backoff(attempt: int, settings: Settings, draw: float = 0.0) -> timedelta:
    """The wait after failed attempt `attempt` (1 for the first); `draw` in [0, 1) picks how
    much of the jitter to take off (0: the full wait)."""
    full = min(settings.delivery_backoff_first_seconds * 2 ** max(attempt - 1, 0),
               settings.delivery_backoff_max_seconds)
    return timedelta(seconds=full * (1 - settings.delivery_backoff_jitter * draw))


def retry_until(current: datetime | None, now: datetime, settings: Settings) -> datetime:
    """The end of a message's retry window: set by its first failure, kept after that."""
    return current if current is not None else now + timedelta(hours=settings.delivery_retry_hours)


def next_attempt(attempt: int, result: DeliveryResult, until: datetime, now: datetime,
                 settings: Settings, draw: float) -> datetime | None:
    """When to try a transiently failed message again, or None when its window has closed
    and it is to be parked. The last retry may fall after the window's end: a message is
    tried for at least the whole window."""
    if now >= until:
        return None
    if result.retry_after is not None:
        return now + timedelta(seconds=max(result.retry_after, MIN_RETRY_AFTER_SECONDS))
    return now + backoff(attempt, settings, draw)
