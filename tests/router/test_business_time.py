"""Walking a target through a calendar, without a database: special days (a Saturday worked
in lieu) and closed days, summer time moving the UTC hours but not the local ones, pauses
cut out of the running time, and a deadline that never lands in closed hours."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.sla import Calendar
from router.sla.business_time import ALWAYS, BusinessCalendar

WEEKDAYS_9_TO_18 = {d: ["09:00-12:00", "13:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def _calendar(zone: str = "Asia/Shanghai", **extra) -> BusinessCalendar:
    return BusinessCalendar(Calendar.model_validate({"timezone": zone, "week": WEEKDAYS_9_TO_18, **extra}))


def _at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def test_a_closed_friday_and_a_worked_saturday():
    cal = _calendar(closed=["2026-10-09"], special={"2026-10-10": ["09:00-12:00"]})
    start = _at("Asia/Shanghai", 2026, 10, 8, 17, 0)  # Thursday
    # 1 h on Thursday, Friday closed, the special Saturday from 09:00.
    assert cal.add(start, 2 * 3600) == _at("Asia/Shanghai", 2026, 10, 10, 10, 0)
    assert cal.hours_on(date(2026, 10, 10)) == [(time(9), time(12))]
    assert cal.hours_on(date(2026, 10, 9)) == []


def test_summer_time_keeps_the_local_hours():
    cal = _calendar("Europe/Berlin")
    # Friday 27 March 2026 17:00 CET; clocks go forward on Sunday 29 March. Monday opens at
    # 09:00 CEST, which is 07:00 UTC, not 08:00.
    due = cal.add(_at("Europe/Berlin", 2026, 3, 27, 17, 0), 2 * 3600)
    assert due == _at("Europe/Berlin", 2026, 3, 30, 10, 0)
    assert due.astimezone(UTC).hour == 8


def test_pauses_are_cut_out_and_deadlines_never_land_in_closed_hours():
    cal = _calendar()
    start = _at("Asia/Shanghai", 2026, 3, 9, 9, 0)  # Monday
    pause = (_at("Asia/Shanghai", 2026, 3, 9, 10, 0), _at("Asia/Shanghai", 2026, 3, 9, 14, 0))
    # 1 h before the pause, then from 14:00: 3 h more end at 17:00.
    assert cal.add(start, 4 * 3600, [pause]) == _at("Asia/Shanghai", 2026, 3, 9, 17, 0)
    assert cal.seconds_between(start, _at("Asia/Shanghai", 2026, 3, 9, 17, 0), [pause]) == 4 * 3600
    for minutes in range(0, 24 * 60, 7):
        due = cal.add(start, minutes * 60 + 1)
        local = due.astimezone(ZoneInfo("Asia/Shanghai"))
        assert local.weekday() < 5 and (time(9) < local.time() <= time(12) or time(13) < local.time() <= time(18))
    # Calendar time and 24x7 count every second, pauses still cut out.
    assert ALWAYS.add(start, 3600) == start + timedelta(hours=1)
    assert ALWAYS.add(start, 2 * 3600, [pause]) == pause[1] + timedelta(hours=1)
