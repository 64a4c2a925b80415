"""The SLA report: for conversations opened in a time range, per pool, per channel and per
agent (the assignee), the first-reply times (p50, p90, calendar and business seconds),
the share of first replies met and breached, and the counts behind them."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session, col

from config.desk import Desk
from router.clock import iso
from router.sla.deadlines import aware
from router.sla.metrics import business_calendar
from router.storage.models import Agent, Conversation, Pool, SlaAlarm
from router.storage.rows import table_of

COLUMNS = ("id", "channel", "pool_id", "assignee_id", "created_at", "first_replied_at",
           "first_reply_due_at", "resolved_at")


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None}
    p50, p90 = np.percentile(values, [50, 90])
    return {"p50": round(float(p50), 1), "p90": round(float(p90), 1)}


def _outcome(row: Any, breached: bool, now: datetime) -> str:
    """met, breached, or open (unanswered and not yet due)."""
    due = aware(row.first_reply_due_at) if row.first_reply_due_at else None
    if row.first_replied_at is not None:
        late = due is not None and aware(row.first_replied_at) > due
        return "breached" if late or breached else "met"
    if breached or (due is not None and due <= now):
        return "breached"
    return "open"


def _summary(group: list[dict[str, Any]]) -> dict[str, Any]:
    decided = [g for g in group if g["outcome"] != "open"]
    met = sum(1 for g in decided if g["outcome"] == "met")
    replied = [g for g in group if g["calendar"] is not None]
    return {
        "conversations": len(group), "first_replied": len(replied),
        "first_reply_met": met, "first_reply_breached": len(decided) - met,
        "first_reply_open": len(group) - len(decided),
        "share_met": round(met / len(decided), 4) if decided else None,
        "share_breached": round((len(decided) - met) / len(decided), 4) if decided else None,
        "resolved": sum(1 for g in group if g["resolved"]),
        "breaches": sum(g["breaches"] for g in group), "warnings": sum(g["warnings"] for g in group),
        "first_reply_seconds": {"calendar": _percentiles([g["calendar"] for g in replied]),
                                "business": _percentiles([g["business"] for g in replied])},
    }


def report(session: Session, desk: Desk, since: datetime, until: datetime, now: datetime,
           pool: str | None = None, channel: str | None = None) -> dict[str, Any]:
    pools = dict(session.execute(select(col(Pool.id), col(Pool.name))).all())
    agents = dict(session.execute(select(col(Agent.id), col(Agent.name))).all())
    table = table_of(Conversation)
    query = select(*(table.c[name] for name in COLUMNS)).where(
        table.c.created_at >= since, table.c.created_at < until)
    if channel:
        query = query.where(col(Conversation.channel) == channel)
    if pool:
        query = query.where(col(Conversation.pool_id).in_([i for i, n in pools.items() if n == pool]))
    found = session.execute(query).all()
    ids = [r.id for r in found]
    alarms: dict[tuple[int, str], int] = defaultdict(int)
    first_breached: set[int] = set()
    for cid, kind, deadline, n in (session.execute(
            select(col(SlaAlarm.conversation_id), col(SlaAlarm.kind), col(SlaAlarm.deadline), func.count())
            .where(col(SlaAlarm.conversation_id).in_(ids))
            .group_by(col(SlaAlarm.conversation_id), col(SlaAlarm.kind), col(SlaAlarm.deadline))).all()
            if ids else []):
        alarms[cid, kind] += n
        if kind == "breach" and deadline == "first_reply":
            first_breached.add(cid)
    items = []
    for row in found:
        pool_name = pools.get(row.pool_id)
        replied = row.first_replied_at
        items.append({
            "pool": pool_name or "(none)", "channel": row.channel,
            "agent": agents.get(row.assignee_id, "(unassigned)"),
            "outcome": _outcome(row, row.id in first_breached, now), "resolved": row.resolved_at is not None,
            "calendar": None if replied is None else (aware(replied) - aware(row.created_at)).total_seconds(),
            "business": None if replied is None else business_calendar(desk, pool_name).seconds_between(
                aware(row.created_at), aware(replied)),
            "breaches": alarms[row.id, "breach"], "warnings": alarms[row.id, "warning"]})
    return {"since": iso(since), "until": iso(until), "pool": pool, "channel": channel,
            "total": _summary(items), **{f"by_{key}": _grouped(items, key) for key in ("pool", "channel", "agent")}}


def _grouped(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[item[key]].append(item)
    return {name: _summary(group) for name, group in sorted(groups.items())}
