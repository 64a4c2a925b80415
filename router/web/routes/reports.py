"""Reports for supervisors: the SLA report (`GET /api/reports/sla`)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from config.desk import CHANNELS, get_desk
from router.clock import utcnow
from router.db import read_scope
from router.sla_report import report
from router.web.access import Caller, supervisor
from router.web.errors import REFUSED_IN_WORDS, refusals
from router.web.params import POOL_NAME_PATTERN

router = APIRouter(prefix="/api/reports", tags=["reports"])


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
