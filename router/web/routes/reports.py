"""Reports: the SLA report for supervisors (`GET /api/reports/sla`) and the Reports page's
figures for any agent, over their pools (`GET /api/reports/summary`)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from config.desk import CHANNELS, get_desk
from router.clock import iso, utcnow
from router.reports.csat import CsatSummary, csat_summary
from router.reports.figures import Figures, Times, figures
from router.reports.sla import report
from router.storage.db import read_scope
from router.web.access import Caller, caller, report_pools, supervisor
from router.web.errors import REFUSED_IN_WORDS, refusals
from router.web.models_out import CountOut, CsatSummaryOut, DayOut, ReportSummary, TimesOut
from router.web.params import POOL_NAME_PATTERN

router = APIRouter(prefix="/api/reports", tags=["reports"])

SUMMARY_DAYS = 7      # the default range, ending now
MAX_SUMMARY_DAYS = 366  # as the Reports page (router/web/pages/reports.py)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))


@router.get("/sla", responses={**refusals(403, 404), **REFUSED_IN_WORDS})
def sla(since: Annotated[datetime | None, Query(description="conversations opened from (ISO 8601)")] = None,
        until: Annotated[datetime | None, Query(description="opened before (ISO 8601); default now")] = None,
        pool: Annotated[str | None, Query(pattern=POOL_NAME_PATTERN)] = None,
        channel: Annotated[str | None, Query(max_length=20)] = None,
        who: Caller = Depends(supervisor)) -> dict:
    """Per pool, channel and agent: first-reply p50/p90, share met and breached, counts."""
    now = utcnow()
    end = _utc(until) or now
    start = _utc(since) or end - timedelta(days=30)
    if start >= end:
        raise HTTPException(422, "since must be before until")
    if channel is not None and channel not in CHANNELS:
        raise HTTPException(422, f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
    desk = get_desk()
    if pool is not None and pool not in desk.pools:
        raise HTTPException(404, f"no pool {pool!r}")
    with read_scope() as session:
        return report(session, desk, start, end, now, pool=pool, channel=channel)


def _summary_range(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    try:
        until = (_utc(end) or now).astimezone(UTC)
        since = (_utc(start) or until - timedelta(days=SUMMARY_DAYS)).astimezone(UTC)
    except OverflowError as error:  # a time at the edge of what a datetime holds
        raise HTTPException(422, "start and end must be ordinary times (ISO 8601)") from error
    if since >= until:
        raise HTTPException(422, "start must be before end")
    if until - since > timedelta(days=MAX_SUMMARY_DAYS):
        raise HTTPException(422, f"a report covers at most {MAX_SUMMARY_DAYS} days")
    return since, until


@router.get("/summary", responses={**refusals(403, 404), **REFUSED_IN_WORDS})
def summary(start: Annotated[datetime | None, Query(description="opened from (ISO 8601); default end - 7 days")] = None,
            end: Annotated[datetime | None, Query(description="opened before (ISO 8601); default now")] = None,
            pool: Annotated[str | None, Query(pattern=POOL_NAME_PATTERN,
                                              description="one pool; default every pool the caller sees")] = None,
            who: Caller = Depends(caller)) -> ReportSummary:
    """The Reports page's figures: first-reply and resolution p50/p90 (calendar seconds),
    first replies met and breached, volume by channel, category, UTC hour and day, over the
    caller's pools (every conversation for supervisors and admins). At most 366 days."""
    now = utcnow()
    since, until = _summary_range(start, end, now)
    pool_ids = report_pools(who, pool)
    with read_scope() as session:
        return summary_out(figures(session, since, until, now, pool_ids), pool,
                           csat_summary(session, since, until, pool_ids))


def summary_out(found: Figures, pool: str | None, rated: CsatSummary) -> ReportSummary:
    def times(t: Times) -> TimesOut:
        return TimesOut(count=t.count, p50=t.p50, p90=t.p90)

    return ReportSummary(
        start=iso(found.start) or "", end=iso(found.end) or "", pool=pool, conversations=found.conversations,
        first_reply_seconds=times(found.first_reply), resolution_seconds=times(found.resolution),
        first_reply_met=found.met, first_reply_breached=found.breached, first_reply_open=found.open,
        share_met=found.share_met, share_breached=found.share_breached,
        by_channel=[CountOut(name=n, count=c) for n, c in found.by_channel],
        by_category=[CountOut(name=n, count=c) for n, c in found.by_category],
        by_hour=found.by_hour,
        csat=CsatSummaryOut(requests=rated.requests, responses=rated.responses, average=rated.average,
                            counts={str(score): n for score, n in rated.counts.items()}),
        by_day=[DayOut(day=d.isoformat(), count=c) for d, c in found.by_day])
