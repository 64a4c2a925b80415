"""The SLA part of the desk file: reply targets (`[[sla]]`) and business calendars
(`[calendars.NAME]`), validated at start-up with errors that name the key."""
from __future__ import annotations

import itertools
import re
from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from config.durations import Duration

TARGETS = ("first_reply", "next_reply", "resolution")
Clock = Literal["calendar", "business"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The calendar every pool has without naming one, and the one `security` uses: always open.
ALWAYS_OPEN = "24x7"

_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_interval(value: object) -> tuple[time, time]:
    """'09:00-12:00' -> (09:00, 12:00); '24:00' closes a day that runs to midnight."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(t, time) for t in value):
        return value[0], value[1]  # already parsed (a desk dumped and validated again)
    match = _INTERVAL.match(str(value))
    if not match:
        raise ValueError(f"not an interval: {value!r} (use e.g. '09:00-12:00')")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"not a time of day in {value!r}")
    end = time.max if h2 == 24 else time(h2, m2)
    if end <= time(h1, m1):
        raise ValueError(f"an interval must end after it starts: {value!r}")
    return time(h1, m1), end


Interval = Annotated[tuple[time, time], BeforeValidator(parse_interval)]


class Holidays(Strict):
    """Public holidays from the `holidays` package: a country code and an optional
    subdivision (region, state), e.g. country = "CN" or country = "US", subdivision = "CA"."""

    country: str
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known(self) -> Holidays:
        import holidays

        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision, years=2026)
        except NotImplementedError:
            raise ValueError(f"the holidays package knows no country {self.country!r}") from None
        return self


class Calendar(Strict):
    """Open hours in a timezone: intervals per weekday (several for a lunch break),
    public holidays closed, and special days that override both (a day closed, or a
    Saturday worked in lieu of a holiday)."""

    timezone: str
    week: dict[str, list[Interval]]
    holidays: Holidays | None = None
    closed: list[date] = []
    special: dict[date, list[Interval]] = {}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @field_validator("week")
    @classmethod
    def _days(cls, value: dict[str, list[tuple[time, time]]]) -> dict[str, list[tuple[time, time]]]:
        for day, intervals in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            _no_overlap(day, intervals)
        if not any(value.values()):
            raise ValueError("the calendar is never open: give at least one weekday some hours")
        return value


def _no_overlap(day: str, intervals: list[tuple[time, time]]) -> None:
    ordered = sorted(intervals)
    for (_, end), (start, _) in itertools.pairwise(ordered):
        if start < end:
            raise ValueError(f"{day}: intervals overlap")


class SlaRule(Strict):
    """Targets for conversations on a channel with an urgency, optionally in one pool; the
    first rule that matches applies. `clock` counts every target in calendar or business
    time, or each one apart: clock = { first_reply = "business", resolution = "calendar" }."""

    channel: str = "*"
    urgency: str = "*"
    pool: str = "*"
    first_reply: Duration
    next_reply: Duration
    resolution: Duration
    clock: Clock | dict[Literal["first_reply", "next_reply", "resolution"], Clock] = "calendar"
    # The share of a target after which tick warns (sla.warning); 0.8 warns at 80%.
    warn_at: float = Field(default=0.8, gt=0, lt=1)

    def clock_of(self, target: str) -> Clock:
        if isinstance(self.clock, str):
            return self.clock
        return self.clock.get(target, "calendar")  # type: ignore[call-overload]

    def seconds(self, target: str) -> float:
        return float(getattr(self, target))


def _h(hours: float) -> float:
    return hours * 3600.0


def _rule(channel: str, urgency: str, first: float, nxt: float, resolution: float) -> SlaRule:
    return SlaRule(channel=channel, urgency=urgency, first_reply=first, next_reply=nxt, resolution=resolution)


# The defaults, used when a desk file has no [[sla]] table: email 1 h critical,
# 4 h high, 24 h normal and low; chat and Telegram 5 minutes high and critical, 15 normal.
DEFAULT_SLA: tuple[SlaRule, ...] = (
    _rule("email", "critical", _h(1), _h(1), _h(24)),
    _rule("email", "high", _h(4), _h(4), _h(72)),
    _rule("email", "*", _h(24), _h(24), _h(168)),
    *(_rule(ch, u, 300, 300, _h(24)) for ch in ("chat", "telegram") for u in ("critical", "high")),
    *(_rule(ch, "*", 900, 900, _h(72)) for ch in ("chat", "telegram")),
    _rule("*", "critical", 900, 1800, _h(24)),
    _rule("*", "high", _h(1), _h(2), _h(72)),
    _rule("*", "*", _h(4), _h(8), _h(168)),
)
