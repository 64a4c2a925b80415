"""tick's SLA chore: warn, record breaches, escalate, each exactly once.

One indexed query finds the conversations with an alarm due (`sla_check_at <= now`, a
partial index holding only conversations with an alarm ahead), a page at a time, row-locked with
SKIP LOCKED on PostgreSQL so a second tick takes other rows instead of waiting. Each
alarm is inserted under its unique key (conversation, deadline, kind, clock start) with
ON CONFLICT DO NOTHING; only the alarms this tick inserted get their events, metrics and
escalation, so however many ticks run at once each is recorded once. A breach raises the
urgency one level and moves the conversation to its pool's escalation pool; the assignee
keeps it, and the event names who is told (the assignee and the escalation pool).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from config.desk import URGENCIES, Desk
from router.metrics import SLA_BREACHES, SLA_WARNINGS
from router.sla.alarms import Alarm, alarms
from router.storage import rows
from router.storage.db import on_postgresql, upsert_dialect_insert
from router.storage.models import Agent, Conversation, Event, Pool, SlaAlarm
from router.storage.rows import Row, table_of

PAGE = 500


def due_query(now: datetime, limit: int = PAGE, lock: bool = False) -> Any:
    """The one query: conversations with an alarm due (the partial index
    ix_conversation_sla_check). Unordered: every due one is handled in this tick anyway,
    and an ORDER BY made PostgreSQL sort all due rows for each page."""
    table = table_of(Conversation)
    query = select(table).where(table.c.sla_check_at <= now).limit(limit)
    return query.with_for_update(skip_locked=True) if lock else query


def run_page(session: Session, desk: Desk, now: datetime, done: dict[str, int]) -> int:
    """Handle one page of due conversations; returns how many were due."""
    result = session.execute(due_query(now, lock=on_postgresql(session)))
    names = list(result.keys())
    page = [Row.of(names, values) for values in result]
    if not page:
        return 0
    pools = {p.id: p for p in session.execute(select(Pool)).scalars()}
    by_name = {p.name: p for p in pools.values()}
    assignees = {c.assignee_id for c in page if c.assignee_id is not None}
    agents = dict(session.execute(select(col(Agent.id), col(Agent.name))
                                  .where(col(Agent.id).in_(assignees))).all()) if assignees else {}
    fired: list[tuple[Row, Alarm]] = []
    for conversation in page:
        pool = pools[conversation.pool_id].name if conversation.pool_id in pools else None
        ahead = alarms(conversation, desk, pool)
        fired += [(conversation, a) for a in ahead if a.at <= now]
        conversation.sla_check_at = min((a.at for a in ahead if a.at > now), default=None)
    new = _insert_alarms(session, fired, pools, agents, now)
    events: list[dict[str, Any]] = []
    for conversation, alarm in fired:
        if (conversation.id, alarm.deadline, alarm.kind) not in new:
            continue
        pool = pools[conversation.pool_id].name if conversation.pool_id in pools else ""
        data = {"deadline": alarm.deadline, "due_at": alarm.at.isoformat(), "pool": pool,
                "assignee": agents.get(conversation.assignee_id)}
        events.append(_event(conversation, f"sla.{alarm.kind}", now, data))
        counter = SLA_WARNINGS if alarm.kind == "warning" else SLA_BREACHES
        counter.labels(pool, alarm.deadline).inc()
        done[f"sla_{alarm.kind}s"] = done.get(f"sla_{alarm.kind}s", 0) + 1
        if alarm.kind == "breach":
            events.append(_escalate(conversation, alarm, pools, by_name, agents, now))
            done["sla_escalations"] = done.get("sla_escalations", 0) + 1
    if events:
        session.execute(insert(table_of(Event)), events)
    rows.update_all(session, Conversation, page, ("sla_check_at", "urgency", "pool_id", "updated_at"))
    return len(page)


def _insert_alarms(session: Session, fired: list[tuple[Row, Alarm]], pools: dict, agents: dict,
                   now: datetime) -> set[tuple[int, str, str]]:
    """Insert every due alarm once; the ones this transaction inserted (not another tick)."""
    if not fired:
        return set()
    values = [{"conversation_id": c.id, "deadline": a.deadline, "kind": a.kind, "clock_start": a.clock_start,
               "due_at": a.at, "at": now, "channel": c.channel, "agent": agents.get(c.assignee_id),
               "pool": pools[c.pool_id].name if c.pool_id in pools else ""} for c, a in fired]
    table = table_of(SlaAlarm)
    # One statement compiled once (an executemany that SQLAlchemy sends as multi-row
    # INSERT ... RETURNING): a multi-VALUES statement built per page took longer to
    # compile than the database took to run it.
    statement = (upsert_dialect_insert(session)(table)
                 .on_conflict_do_nothing(index_elements=["conversation_id", "deadline", "kind", "clock_start"])
                 .returning(table.c.conversation_id, table.c.deadline, table.c.kind))
    return {(cid, deadline, kind) for cid, deadline, kind in session.execute(statement, values)}


def _event(conversation: Row, kind: str, now: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"conversation_id": conversation.id, "message_id": None, "kind": kind, "actor": "system",
            "at": now, "data": data}


def _escalate(conversation: Row, alarm: Alarm, pools: dict, by_name: dict, agents: dict,
              now: datetime) -> dict[str, Any]:
    """A breach: urgency up one level, into the escalation pool; the assignee keeps the case."""
    before_urgency = conversation.urgency
    level = URGENCIES.index(before_urgency) if before_urgency in URGENCIES else len(URGENCIES) - 1
    conversation.urgency = URGENCIES[max(level - 1, 0)]  # URGENCIES runs from critical down
    pool = pools.get(conversation.pool_id)
    target = by_name.get(pool.escalation) if pool is not None and pool.escalation else None
    if target is not None:
        conversation.pool_id = target.id
    conversation.updated_at = now
    assignee = agents.get(conversation.assignee_id)
    return _event(conversation, "sla.escalated", now, {
        "deadline": alarm.deadline, "urgency": [before_urgency, conversation.urgency],
        "pool": [pool.name if pool else None, target.name if target else (pool.name if pool else None)],
        "notify": [n for n in (assignee, target.name if target else None) if n]})
