"""The one source of "now": timezone-aware UTC (SQLModel's UTCDateTime refuses naive times)."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC with a trailing Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
