"""What the dashboard's live stream tells each signed-in person, read from the event log.

Why the event log and not Redis pub/sub: the database is the truth in both deployments,
and the embedded desk (`msgrouter run`) has no Redis at all. Every change worth showing
already writes an `event` row in the transaction that makes it (an assignment, a customer
message, tick's SLA warning and breach, a presence change), so a stream that reads the
rows after the last id it sent shows exactly what was committed, resumes from any id
(Last-Event-ID), and needs nothing beside the database. The read is a range walk of the
primary key from that id, a few rows a second.

On PostgreSQL ids come from a sequence, so a transaction that took id 7 may commit after
one that took id 8 is already visible. A reader that only asked for "after 8" would miss
7; the cursor keeps such holes and asks for them again until they show up or a minute
has passed (a rolled-back transaction leaves a hole for good).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from router.storage.models import Agent, Conversation, Event, Pool

# The log's kinds that the dashboard shows, by the name the stream gives them.
SHOWN = {"assigned": "assigned", "received": "customer_reply", "sla.warning": "warning",
         "sla.breach": "breach", "presence": "presence", "unassigned": "released"}
PAGE = 500  # log rows read per query; a stream reads again at once when a page was full
HOLE_SECONDS = 60.0  # how long a hole in the ids is asked for again
MAX_HOLE = 1000  # a larger jump is a sequence cache or a restore, not transactions in flight


@dataclass(frozen=True)
class LiveEvent:
    id: int
    name: str  # the stream's event name: assigned, customer_reply, warning, breach, presence, released
    conversation_id: int | None
    pool_id: int | None  # the conversation's pool and assignee as the stream read them
    assignee_id: int | None
    data: dict[str, Any]  # what the browser is sent (never message text)


@dataclass(frozen=True)
class Audience:
    """Whose stream it is: an agent sees their own assignments and presence, and customer
    replies and warnings on conversations assigned to them or waiting in their pools;
    supervisors and admins see everything, breaches included."""

    agent_id: int
    agent_name: str
    pool_ids: frozenset[int]
    every_pool: bool

    def sees(self, event: LiveEvent) -> bool:
        if self.every_pool:
            return True
        if event.name in ("assigned", "released", "presence"):
            return event.data.get("agent") == self.agent_name
        if event.name in ("customer_reply", "warning"):
            return event.assignee_id == self.agent_id or event.pool_id in self.pool_ids
        return False  # breaches: the supervisors' page; an agent's own row turns red by its countdown


@dataclass
class Cursor:
    """The last id sent and the holes below it still worth asking for (id -> first missed at)."""

    last: int
    holes: dict[int, float] = field(default_factory=dict)

    def seen(self, ids: list[int], now: float) -> None:
        for i in ids:
            self.holes.pop(i, None)
        for i in sorted(i for i in ids if i > self.last):
            if i - self.last - 1 <= MAX_HOLE:
                self.holes.update((h, now) for h in range(self.last + 1, i))
            self.last = i
        for hole, since in list(self.holes.items()):
            if now - since > HOLE_SECONDS:
                del self.holes[hole]


def latest_event_id(session: Session) -> int:
    return session.execute(select(func.max(col(Event.id)))).scalar() or 0


def read(session: Session, cursor: Cursor, now: float) -> tuple[list[LiveEvent], bool]:
    """The shown events committed since the cursor (and in its holes), oldest first, and
    whether a full page was read (more may wait); moves the cursor past every row read."""
    wanted = col(Event.id) > cursor.last
    if cursor.holes:
        wanted = or_(wanted, col(Event.id).in_(sorted(cursor.holes)))
    rows = session.execute(select(col(Event.id), col(Event.kind), col(Event.conversation_id), col(Event.data))
                           .where(wanted).order_by(col(Event.id)).limit(PAGE)).all()
    cursor.seen([r.id for r in rows], now)
    shown = [r for r in rows if r.kind in SHOWN and _worth_showing(r.kind, r.data or {})]
    if not shown:
        return [], len(rows) == PAGE
    conversations = {c.id: c for c in session.execute(
        select(col(Conversation.id), col(Conversation.pool_id), col(Conversation.assignee_id))
        .where(col(Conversation.id).in_({r.conversation_id for r in shown if r.conversation_id})))}
    pools = dict(session.execute(select(col(Pool.id), col(Pool.name))).all())
    agents = dict(session.execute(select(col(Agent.id), col(Agent.name))).all())
    events = []
    for r in shown:
        c = conversations.get(r.conversation_id)
        pool_id, assignee_id = (c.pool_id, c.assignee_id) if c else (None, None)
        events.append(LiveEvent(r.id, SHOWN[r.kind], r.conversation_id, pool_id, assignee_id,
                                _payload(r.kind, r.conversation_id, r.data or {}, pools.get(pool_id), agents)))
    return events, len(rows) == PAGE


def _worth_showing(kind: str, data: dict[str, Any]) -> bool:
    # A new conversation's first message arrives as its assignment (or waits in the pool
    # queue); a duplicate is attached without alerting anyone, here as in the pipeline.
    return kind != "received" or not (data.get("new_conversation") or data.get("duplicate"))


def _payload(kind: str, conversation_id: int | None, data: dict[str, Any], pool: str | None,
             agents: dict[int, str]) -> dict[str, Any]:
    if kind == "presence":
        return {"agent": data.get("agent"), "status": data.get("status")}
    payload: dict[str, Any] = {"conversation": conversation_id, "pool": pool}
    if kind == "assigned":
        payload["agent"] = data.get("agent")
    elif kind == "unassigned":
        payload["agent"] = agents.get(data.get("agent_id") or 0)
    elif kind.startswith("sla."):
        payload.update(deadline=data.get("deadline"), due_at=data.get("due_at"), agent=data.get("assignee"))
    return payload
