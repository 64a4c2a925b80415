"""The figures of the dashboard's Reports page, for the conversations opened in [start, end)
in a set of pools: first-reply and resolution times (p50, p90), the first replies met and
breached, and the volume by channel, category, hour of day and day. Every figure is a SQL
aggregate or an ordered pick, so a desk of 100k conversations sends back tens of rows, not
100k; the definitions are those of the SLA report (router/reports/sla.py), which a test
holds them to."""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, or_, select
from sqlmodel import Session, col

from router.storage.db import on_postgresql
from router.storage.models import Conversation, SlaAlarm

PERCENTILES = (50, 90)


@dataclass(frozen=True)
class Times:
    """Seconds from opening to an event, over the conversations that reached it. Calendar
    seconds (the wall clock the customer waits), in numpy's default ("linear") percentile,
    as the SLA report gives them."""

    count: int
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class Figures:
    start: datetime
    end: datetime
    conversations: int
    first_reply: Times
    resolution: Times
    met: int       # first replies in time
    breached: int  # late, or unanswered past the deadline, or with a breach alarm
    open: int      # unanswered and not yet due (or with no deadline at all)
    by_channel: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_hour: list[int]                 # 24 counts, hour of opening in UTC
    by_day: list[tuple[date, int]]     # every UTC day of the range, zeros included

    @property
    def share_met(self) -> float | None:
        decided = self.met + self.breached
        return round(self.met / decided, 4) if decided else None

    @property
    def share_breached(self) -> float | None:
        decided = self.met + self.breached
        return round(self.breached / decided, 4) if decided else None


def figures(session: Session, start: datetime, end: datetime, now: datetime,
            pool_ids: Collection[int] | None) -> Figures:
    """`pool_ids` None: every conversation (supervisors and admins), those in no pool too;
    otherwise only those in these pools (an agent's, or the one a supervisor picked)."""
    scope = _scope(start, end, pool_ids)
    opened = col(Conversation.created_at)
    first = _times(session, scope, col(Conversation.first_replied_at))
    resolved = _times(session, scope, col(Conversation.resolved_at))
    outcomes = dict(session.execute(select(_outcome(now).label("o"), func.count()).where(scope)
                                    .group_by("o")).all())
    hours = _by_hour(session, scope, opened)
    return Figures(
        start=start, end=end, conversations=sum(outcomes.values()), first_reply=first, resolution=resolved,
        met=outcomes.get("met", 0), breached=outcomes.get("breached", 0), open=outcomes.get("open", 0),
        by_channel=_count_by(session, scope, col(Conversation.channel)),
        by_category=_count_by(session, scope, col(Conversation.category)),
        by_hour=[sum(n for at, n in hours.items() if at.hour == h) for h in range(24)],
        by_day=_days(start, end, hours))


def _scope(start: datetime, end: datetime, pool_ids: Collection[int] | None) -> ColumnElement[bool]:
    opened = col(Conversation.created_at)
    window = and_(opened >= start, opened < end)
    if pool_ids is None:
        return window
    return and_(window, col(Conversation.pool_id).in_(list(pool_ids)) if pool_ids else false())


def _outcome(now: datetime) -> Any:
    """met | breached | open, for the first reply: the SLA report's rule (`_outcome` there),
    written as one CASE so the database counts them."""
    replied, due = col(Conversation.first_replied_at), col(Conversation.first_reply_due_at)
    alarmed = exists().where(col(SlaAlarm.conversation_id) == col(Conversation.id),
                             col(SlaAlarm.kind) == "breach", col(SlaAlarm.deadline) == "first_reply")
    return case((and_(replied.is_not(None), or_(and_(due.is_not(None), replied > due), alarmed)), "breached"),
                (replied.is_not(None), "met"),
                (or_(alarmed, and_(due.is_not(None), due <= now)), "breached"),
                else_="open")


def _seconds(session: Session, later: Any, earlier: Any) -> Any:
    if on_postgresql(session):
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _times(session: Session, scope: ColumnElement[bool], event: Any) -> Times:
    """p50 and p90 by linear interpolation between the two values around rank q*(n-1), as
    numpy.percentile gives them on the whole list. One query sorts the values once
    (row_number over them) and sends back only the few rows at those ranks: SQLite has no
    percentile function, and this gives both databases the same answer."""
    seconds = _seconds(session, event, col(Conversation.created_at))
    ranked = select(seconds.label("s"),
                    (func.row_number().over(order_by=(seconds, col(Conversation.id))) - 1).label("r"),
                    func.count().over().label("n")).where(scope, event.is_not(None)).subquery()
    below = [(q * (ranked.c.n - 1)) // 100 for q in PERCENTILES]
    rows = session.execute(select(ranked.c.r, ranked.c.s, ranked.c.n).where(
        or_(*(and_(ranked.c.r >= b, ranked.c.r <= b + 1) for b in below)))).all()
    if not rows:
        return Times(0, None, None)
    n = rows[0].n
    at = {r: float(value) for r, value, _ in rows}
    found = []
    for q in PERCENTILES:
        rank = q * (n - 1) / 100
        low = int(rank)
        found.append(round(at[low] + (rank - low) * (at.get(low + 1, at[low]) - at[low]), 1))
    return Times(n, found[0], found[1])


def _count_by(session: Session, scope: ColumnElement[bool], column: Any) -> list[tuple[str, int]]:
    rows = session.execute(select(column, func.count()).where(scope).group_by(column)).all()
    return sorted(((str(name), n) for name, n in rows), key=lambda item: (-item[1], item[0]))


def _by_hour(session: Session, scope: ColumnElement[bool], opened: Any) -> Counter[datetime]:
    """Conversations per UTC hour of the range (at most 24 x the days in it): the hour-of-day
    and the daily series are both sums of these."""
    if on_postgresql(session):
        # timestamptz prints in the session's TimeZone, which is the server's unless set:
        # read as UTC so the buckets do not move with where the database runs.
        bucket = func.to_char(func.timezone(literal("UTC"), opened), literal("YYYY-MM-DD HH24"))
    else:
        # SQLite holds times as UTC text, "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's storage
        # format): its first 13 characters are the hour, cheaper to cut than to strftime.
        bucket = func.substr(opened, 1, 13)
    rows = session.execute(select(bucket.label("b"), func.count()).where(scope).group_by("b")).all()
    return Counter({datetime.strptime(b, "%Y-%m-%d %H").replace(tzinfo=UTC): n for b, n in rows})


def _days(start: datetime, end: datetime, hours: Counter[datetime]) -> list[tuple[date, int]]:
    per_day: Counter[date] = Counter()
    for at, n in hours.items():
        per_day[at.date()] += n
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    if end.astimezone(UTC).time() == datetime.min.time() and last > first:
        last = date.fromordinal(last.toordinal() - 1)  # end is exclusive
    return [(day, per_day[day]) for day in (date.fromordinal(d) for d in range(first.toordinal(),
                                                                                 last.toordinal() + 1))]
