"""Time walked through a calendar: a target of N seconds from a start, counted only while
the calendar is open and the clock is not paused, and the open seconds between two times.

A calendar (config.sla.Calendar) is a timezone with open intervals per weekday; public
holidays (the `holidays` package) and `closed` days are shut, `special` days have their
own hours. Days are cut in the calendar's own zone (`zoneinfo`), so summer time moves the
UTC hours, not the local ones. `ALWAYS` is open every second: calendar time, and the 24x7
pools. A deadline walked through a calendar always lands inside open hours (or at the
end of one), never in a closed stretch.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_tables

from config.sla import WEEKDAYS, Calendar

Span = tuple[datetime, datetime]
Pause = tuple[datetime, datetime | None]  # an open-ended pause is still running
_FAR = datetime(9999, 1, 1, tzinfo=UTC)
_MAX_DAYS = 3 * 366  # a target no calendar can meet within three years is a config error


class BusinessCalendar:
    def __init__(self, calendar: Calendar | None = None) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone) if calendar else None
        self.public = (holiday_tables.country_holidays(calendar.holidays.country,
                                                       subdiv=calendar.holidays.subdivision)
                       if calendar and calendar.holidays else None)
        self.closed = frozenset(calendar.closed) if calendar else frozenset()

    @property
    def always_open(self) -> bool:
        return self.calendar is None

    def hours_on(self, day: date) -> list[tuple[time, time]]:
        """The open intervals of one local day."""
        assert self.calendar is not None
        if day in self.calendar.special:
            return sorted(self.calendar.special[day])
        if day in self.closed or (self.public is not None and day in self.public):
            return []
        return sorted(self.calendar.week.get(WEEKDAYS[day.weekday()], []))

    def spans(self, start: datetime) -> Iterator[Span]:
        """Open spans in UTC from `start` on, in order."""
        if self.calendar is None or self.zone is None:
            yield start, _FAR
            return
        day = start.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS):
            for opens, closes in self.hours_on(day):
                s = datetime.combine(day, opens, self.zone).astimezone(UTC)
                # time.max stands for midnight: the day runs to the next day's start.
                e = (datetime.combine(day + timedelta(days=1), time(0), self.zone) if closes == time.max
                     else datetime.combine(day, closes, self.zone)).astimezone(UTC)
                if e > start:
                    yield max(s, start), e
            day += timedelta(days=1)
        raise ValueError(f"no open hours within {_MAX_DAYS} days of {start:%Y-%m-%d}")

    def working(self, start: datetime, pauses: Iterable[Pause] = ()) -> Iterator[Span]:
        """Open spans from `start` with the paused stretches cut out: the clock's running time."""
        cuts = sorted((p, r or _FAR) for p, r in pauses)
        for s, e in self.spans(start):
            for p, r in cuts:
                if r <= s or p >= e:
                    continue
                if p > s:
                    yield s, p
                s = max(s, r)
                if s >= e:
                    break
            if s < e:
                yield s, e

    def add(self, start: datetime, seconds: float, pauses: Iterable[Pause] = ()) -> datetime:
        """The moment `seconds` of running time after `start` have passed."""
        left = timedelta(seconds=seconds)
        for s, e in self.working(start, pauses):
            if e == _FAR:
                return s + left
            if s + left <= e:
                return s + left
            left -= e - s
        raise AssertionError("working() ends only by raising")  # pragma: no cover

    def seconds_between(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> float:
        """Running seconds from `start` to `end`."""
        total = 0.0
        if end <= start:
            return total
        for s, e in self.working(start, pauses):
            if s >= end:
                break
            total += (min(e, end) - s).total_seconds()
        return total


ALWAYS = BusinessCalendar()
# Built once per calendar of a loaded desk (the holiday table expands year by year as it is
# asked). Keyed by identity: the config objects hold dicts, so they cannot be hashed, and
# each entry keeps its config alive so an id is never reused while cached.
_BUILT: dict[int, tuple[Calendar, BusinessCalendar]] = {}


def _cached(calendar: Calendar) -> BusinessCalendar:
    found = _BUILT.get(id(calendar))
    if found is None or found[0] is not calendar:
        found = _BUILT[id(calendar)] = (calendar, BusinessCalendar(calendar))
    return found[1]


def calendar_for(desk, pool: str | None, clock: str) -> BusinessCalendar:
    """The calendar a target counts in: always open for calendar time, else the pool's."""
    if clock != "business" or pool is None or pool not in desk.pools:
        return ALWAYS
    name = desk.pools[pool].calendar
    config = desk.calendars.get(name)
    return ALWAYS if config is None else _cached(config)
