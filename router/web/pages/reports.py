"""Reports: first-reply and resolution times, first replies met and breached, and volume by
channel, category, hour and day, for the conversations opened in a range of days and in the
pools the signed-in agent may see (every pool for supervisors and admins, who may pick one).
The figures are router/reports/figures.py's; the plots are inline SVG (charts.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlmodel import col

from router.clock import utcnow
from router.reports.csat import csat_summary
from router.reports.figures import Figures, figures
from router.storage.db import read_scope
from router.storage.models import Pool
from router.web.access import Caller, page_caller, report_pools
from router.web.pages import charts, strings
from router.web.pages.render import page

router = APIRouter(include_in_schema=False)

DEFAULT_DAYS = 7
PRESETS = (7, 30)
MAX_DAYS = 366  # a year, leap day included: the page's SQL stays a handful of small scans


class BadRange(ValueError):
    """The range asked for cannot be reported; the words go on the page (422)."""


@dataclass(frozen=True)
class Range:
    first: date  # inclusive, as the form shows it
    last: date   # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)


def parse_range(start: str | None, end: str | None, days: str | None, today: date, t: dict[str, str]) -> Range:
    """From a preset (`days`) or two dates (YYYY-MM-DD, both inclusive); by default the last
    DEFAULT_DAYS days to today (UTC)."""
    if days:
        if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
            raise BadRange(t["bad_days"].format(max=MAX_DAYS))
        return Range(today - timedelta(days=int(days) - 1), today)
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as error:
        raise BadRange(t["bad_date"]) from error
    if first > last:
        raise BadRange(t["bad_order"])
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRange(t["too_long"].format(max=MAX_DAYS))
    if last == date.max:  # its end, the next midnight, is past what a datetime holds
        raise BadRange(t["bad_date"])
    return Range(first, last)


def plots(found: Figures, t: dict[str, str]) -> dict[str, Any]:
    """The page's SVG plots, each titled in the page's language."""
    times = [(f"{t['first_reply']} p50", found.first_reply.p50), (f"{t['first_reply']} p90", found.first_reply.p90),
             (f"{t['resolution']} p50", found.resolution.p50), (f"{t['resolution']} p90", found.resolution.p90)]
    return {
        "times": charts.bars(t["times_title"], [(n, v) for n, v in times if v is not None], charts.duration),
        "sla": charts.share(t["sla_title"], [(t["met"], found.met, "met"), (t["breached"], found.breached, "breached"),
                                            (t["open_first"], found.open, "open")]),
        "channel": charts.bars(t["by_channel"], found.by_channel),
        "category": charts.bars(t["by_category"], found.by_category),
        "hour": charts.columns(t["by_hour"], [(f"{h:02d}", n) for h, n in enumerate(found.by_hour)], label_every=3),
        "day": charts.columns(t["by_day"], [(d.strftime("%m-%d"), n) for d, n in found.by_day],
                              label_every=max(1, len(found.by_day) // 10)),
    }


def _pickable(who: Caller) -> list[Pool]:
    with read_scope() as session:
        return list(session.execute(select(Pool).where(who.pools()).order_by(col(Pool.name))).scalars())


@router.get("/reports")
def reports(request: Request, start: str | None = None, end: str | None = None, days: str | None = None,
            pool: str | None = None, who: Caller = Depends(page_caller)) -> Response:
    t = strings.TEXT[strings.for_agent(who.agent)]
    now = utcnow()
    context: dict[str, Any] = {"pools": _pickable(who), "pool": pool or "", "presets": PRESETS, "max_days": MAX_DAYS,
                               "start": start or "", "end": end or "", "csat": None,
                               "every_pool": who.sees_every_pool}
    try:
        span = parse_range(start, end, days, now.date(), t)
    except BadRange as error:
        return page(request, "reports.html", who.agent, status_code=422, error=str(error), **context)
    context.update(start=span.first.isoformat(), end=span.last.isoformat())
    try:
        pool_ids = report_pools(who, pool or None)
    except HTTPException as refused:  # 404 no such pool, 403 not the caller's: said on the page
        return page(request, "reports.html", who.agent, status_code=refused.status_code,
                    error=t["bad_pool"].format(pool=pool), **context)
    with read_scope() as session:
        found = figures(session, span.start, span.end, now, pool_ids)
        rated = csat_summary(session, span.start, span.end, pool_ids)
    if rated.requests:  # no request sent in the range: the page says there is nothing to show
        context["csat"] = {"summary": rated, "plot": charts.csat_chart(t["csat_title"], rated.counts)}
    return page(request, "reports.html", who.agent, figures=found, plots=plots(found, t),
                duration=charts.duration, **context)
