"""Assignment: an online agent of the pool who speaks the language and has capacity,
fewest open conversations first, ties to the one assigned least recently; a reopened
conversation goes back to the agent who had it when they qualify.

Agents' loads are read once per transaction (`AgentLoads`), row-locked on PostgreSQL,
decided in memory and written back at once, so a batch of a thousand messages costs
two reads and one write, and two workers assigning at once can never push an agent
over capacity.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, tuple_, union_all, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from router.storage.db import on_postgresql
from router.storage.events import record
from router.storage.models import Agent, Conversation, Event, Membership

QUEUE_FILL_LIMIT = 500  # conversations read per page of a fill
QUEUE_FILL_PAGES = 10  # pages per fill, so one tick stays short


@dataclass
class _Load:
    id: int
    name: str
    online: bool
    capacity: int
    languages: frozenset[str]
    open_count: int
    last_assigned_at: datetime | None
    changed: bool = False


def memberships(session: Session) -> list[tuple[int, int]]:
    """Every (agent id, pool id) of the desk, in the database's order."""
    return [(agent_id, pool_id) for agent_id, pool_id in
            session.execute(select(col(Membership.agent_id), col(Membership.pool_id)))]


class AgentLoads:
    """Every agent's load for one transaction: read (and on PostgreSQL row-locked) once,
    decided in memory, written back in one statement. Two workers assigning at once
    queue on the lock, so neither can push an agent over capacity; on SQLite the write
    transaction (BEGIN IMMEDIATE) already serialises them."""

    def __init__(self, session: Session, now: datetime, members: list[tuple[int, int]] | None = None) -> None:
        """`members`: `memberships(session)` when the caller has read them already."""
        self.session, self.now = session, now
        query = select(col(Agent.id), col(Agent.name), col(Agent.status), col(Agent.capacity), col(Agent.languages),
                       col(Agent.open_count), col(Agent.last_assigned_at)).order_by(col(Agent.id))
        if on_postgresql(session):
            query = query.with_for_update()
        self.agents = {row.id: _Load(row.id, row.name, row.status == "online", row.capacity,
                                     frozenset(row.languages.split(",")), row.open_count, row.last_assigned_at)
                       for row in session.execute(query)}
        self.members: dict[int, list[int]] = {}
        for agent_id, pool_id in memberships(session) if members is None else members:
            self.members.setdefault(pool_id, []).append(agent_id)

    def _members_of(self, pool_id: int | None) -> list[int] | tuple[()]:
        return () if pool_id is None else self.members.get(pool_id, ())

    def _eligible(self, agent: _Load, language: str) -> bool:
        return agent.online and agent.open_count < agent.capacity and \
            (language not in ("zh", "en") or language in agent.languages)

    def best(self, pool_id: int | None, language: str, prefer: int | None = None) -> _Load | None:
        """`prefer` first when eligible; else fewest open, least recently assigned, lowest id."""
        eligible = [self.agents[a] for a in self._members_of(pool_id) if self._eligible(self.agents[a], language)]
        preferred = [a for a in eligible if a.id == prefer]
        if preferred:
            return preferred[0]
        return min(eligible, key=lambda a: (a.open_count, a.last_assigned_at is not None,
                                            a.last_assigned_at or self.now, a.id), default=None)

    def take(self, agent_id: int) -> None:
        agent = self.agents[agent_id]
        agent.open_count, agent.last_assigned_at, agent.changed = agent.open_count + 1, self.now, True

    def release(self, agent_id: int) -> None:
        agent = self.agents[agent_id]
        agent.open_count, agent.changed = max(agent.open_count - 1, 0), True

    def has_free_capacity(self, pool_ids: list[int] | None = None) -> bool:
        wanted = self.members if pool_ids is None else {p: self.members.get(p, []) for p in pool_ids}
        return any(self.agents[a].online and self.agents[a].open_count < self.agents[a].capacity
                   for members in wanted.values() for a in members)

    def write(self) -> None:
        rows = [{"id": a.id, "open_count": a.open_count, "last_assigned_at": a.last_assigned_at}
                for a in self.agents.values() if a.changed]
        if rows:  # the ORM's bulk UPDATE by primary key: one executemany
            self.session.execute(update(Agent), rows)
            for a in self.agents.values():
                a.changed = False


def assign_to(session: Session, conversation: Conversation, agent_id: int, agent_name: str,
              now: datetime, actor: str = "system") -> None:
    conversation.assignee_id = agent_id
    record(session, "assigned", conversation_id=conversation.id, actor=actor,
           data={"agent": agent_name})


def try_assign(session: Session, conversation: Conversation, now: datetime) -> Agent | None:
    """Assign to the best free agent; None when nobody can take it now."""
    if conversation.pool_id is None:
        return None
    loads = AgentLoads(session, now)
    agent = loads.best(conversation.pool_id, conversation.language)
    if agent is None:
        return None
    loads.take(agent.id)
    loads.write()
    assign_to(session, conversation, agent.id, agent.name, now)
    return session.get(Agent, agent.id, populate_existing=True)


def resolved_by(session: Session, conversation_ids: set[int]) -> dict[int, int | None]:
    """For each conversation, the agent a resolve released from it, if its last release
    was a resolve (None otherwise); one query for all of them."""
    if not conversation_ids:
        return {}
    releases = session.execute(select(col(Event.conversation_id), col(Event.data)).where(
        col(Event.conversation_id).in_(conversation_ids), col(Event.kind) == "unassigned")
        .order_by(col(Event.id))).all()
    last = dict(releases)  # a list of (conversation, data) in event order: the latest wins
    return {cid: (data.get("agent_id") if data and data.get("reason") == "resolved" else None)
            for cid in conversation_ids for data in [last.get(cid)]}


def unassign(session: Session, conversation: Conversation, reason: str, actor: str = "system") -> None:
    """Release the conversation's agent (their capacity frees at once)."""
    agent_id = conversation.assignee_id
    if agent_id is None:
        return
    session.execute(update(Agent).where(col(Agent.id) == agent_id, col(Agent.open_count) > 0)
                    .values(open_count=Agent.open_count - 1)
                    .execution_options(synchronize_session=False))
    conversation.assignee_id = None
    record(session, "unassigned", conversation_id=conversation.id, actor=actor,
           data={"agent_id": agent_id, "reason": reason})


# Written out literally, so that the partial index matches it even in the generic plan of a
# statement psycopg has prepared on PostgreSQL.
_WAITING = (col(Conversation.assignee_id).is_(None), col(Conversation.state) != literal_column("'resolved'"))


def _walk(pool_id: int, after: tuple, limited: bool) -> Select:
    """One pool's walk of ix_conversation_pool_unassigned in queue order (due_at with NULLs
    last, then id). On PostgreSQL it carries its own ORDER BY and LIMIT: inside a flattened
    UNION the planner cannot order by that index and would sort every row; SQLite merges
    the plain branches by the index and would sort limited ones."""
    walk = select(Conversation).where(col(Conversation.pool_id) == pool_id, *_WAITING, *after)
    if not limited:
        return walk
    return select(walk.order_by(col(Conversation.due_at).nulls_last(), col(Conversation.id))
                  .limit(QUEUE_FILL_LIMIT).subquery())


def _waiting_page(pools: list[int], after: tuple[datetime | None, int] | None, limited: bool) -> Select:
    """The next page of unassigned open conversations of these pools in queue order: the
    pools' walks merged, never a sort of their queues. A walk resumes past the last
    (due_at, id) read rather than at an offset, so it skips nothing when a pool drops out."""
    resume: list[tuple[ColumnElement[bool], ...]]
    if after is None:
        resume = [()]
    elif after[0] is None:  # into the undated tail
        resume = [(col(Conversation.due_at).is_(None), col(Conversation.id) > after[1])]
    else:  # the rest of the dated part (a row comparison the index can seek), then the undated
        resume = [(tuple_(col(Conversation.due_at), col(Conversation.id)) > after,),
                  (col(Conversation.due_at).is_(None),)]
    queue = aliased(Conversation, union_all(*(_walk(p, r, limited) for p in pools for r in resume)).subquery())
    columns: Any = queue  # an alias's attributes are columns; SQLModel types them as values
    return select(queue).order_by(columns.due_at.nulls_last(), columns.id).limit(QUEUE_FILL_LIMIT)


def fill_queues(session: Session, now: datetime, pool_ids: list[int] | None = None) -> int:
    """Assign waiting conversations, earliest deadline first, while agents have capacity.

    Only pools with a free agent are read, a page at a time, so a pool's queue is
    filled however much earlier work waits in pools where nobody is free."""
    loads = AgentLoads(session, now)
    pools = [p for p in (pool_ids if pool_ids is not None else list(loads.members)) if loads.has_free_capacity([p])]
    assigned, after = 0, None
    session.flush()  # pages are read without flushing what this fill assigns
    for _ in range(QUEUE_FILL_PAGES):
        if not pools:
            break
        page = list(session.execute(_waiting_page(pools, after, on_postgresql(session)),
                                    execution_options={"autoflush": False}).scalars())
        for conversation in page:
            agent = loads.best(conversation.pool_id, conversation.language)
            if agent is None:
                continue
            loads.take(agent.id)
            assign_to(session, conversation, agent.id, agent.name, now)
            freed = {"step": "assign", "reason": "assigned from the pool queue when capacity freed"}
            conversation.reasons = [*conversation.reasons, freed]
            assigned += 1
        if len(page) < QUEUE_FILL_LIMIT:
            break
        after = (page[-1].due_at, page[-1].id)
        pools = [p for p in pools if loads.has_free_capacity([p])]
    loads.write()
    return assigned


def free_capacity_exists(session: Session) -> bool:
    return bool(session.execute(select(func.count()).select_from(Agent).where(
        col(Agent.status) == "online", col(Agent.open_count) < col(Agent.capacity))).scalar())
