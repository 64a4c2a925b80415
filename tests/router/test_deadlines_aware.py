"""Times without a zone are UTC: `aware` gives a naive time (as SQLite hands stored times
back, and as the SLA report reads them) the UTC zone, and leaves a time that has a zone
as it is, the same instant whatever its offset."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from router.sla.deadlines import aware


def test_a_naive_time_is_taken_as_utc():
    assert aware(datetime(2026, 3, 9, 9, 30)) == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
    assert aware(datetime(2026, 3, 9, 9, 30)).utcoffset() == timedelta(0)


def test_a_time_with_a_zone_keeps_its_instant_and_its_zone():
    shanghai = datetime(2026, 3, 9, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    assert aware(shanghai) is shanghai
    assert aware(shanghai) == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
