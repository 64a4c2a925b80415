"""Assignment: an online agent of the pool who speaks the language and has capacity,
fewest open conversations first, ties to the one assigned least recently; a reopened
conversation goes back to the agent who had it when they qualify.

The claim is one conditional UPDATE on the agent's `open_count`, so two workers
assigning at once can never push an agent over capacity.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, literal, select, update
from sqlmodel import Session

from router.events import record
from router.models import Agent, Conversation, Event, Membership

QUEUE_FILL_LIMIT = 500  # conversations looked at per fill, so one tick stays short


def _candidates(session: Session, pool_id: int, language: str, only: int | None = None) -> list[tuple[int, str]]:
    query = (select(Agent.id, Agent.name).join(Membership, Membership.agent_id == Agent.id)
             .where(Membership.pool_id == pool_id, Agent.status == "online",
                    Agent.open_count < Agent.capacity)
             .order_by(Agent.open_count, Agent.last_assigned_at.nulls_first(), Agent.id).limit(10))
    if only is not None:
        query = query.where(Agent.id == only)
    if language in ("zh", "en"):
        spoken = literal(",") + Agent.languages + literal(",")
        query = query.where(spoken.like(f"%,{language},%"))
    return [tuple(row) for row in session.execute(query)]


def _claim(session: Session, agent_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Agent).where(Agent.id == agent_id, Agent.open_count < Agent.capacity)
        .values(open_count=Agent.open_count + 1, last_assigned_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def assign_to(session: Session, conversation: Conversation, agent_id: int, agent_name: str,
              now: datetime, actor: str = "system") -> None:
    conversation.assignee_id = agent_id
    record(session, "assigned", conversation_id=conversation.id, actor=actor,
           data={"agent": agent_name})


def try_assign(session: Session, conversation: Conversation, now: datetime,
               prefer: int | None = None) -> Agent | None:
    """Assign to the best free agent; None when nobody can take it now.

    `prefer` (an agent id) is tried first, under the same conditions as anyone:
    online, in the pool, speaking the language, under capacity.
    """
    if conversation.pool_id is None:
        return None
    preferred = _candidates(session, conversation.pool_id, conversation.language, prefer) if prefer else []
    for agent_id, name in preferred + _candidates(session, conversation.pool_id, conversation.language):
        if _claim(session, agent_id, now):
            assign_to(session, conversation, agent_id, name, now)
            return session.get(Agent, agent_id)
    return None


def resolved_by(session: Session, conversation_id: int) -> int | None:
    """The agent a resolve released from this conversation, if its last release was a resolve."""
    data = session.execute(select(Event.data).where(Event.conversation_id == conversation_id,
                                                   Event.kind == "unassigned")
                           .order_by(Event.id.desc()).limit(1)).scalar()
    return data.get("agent_id") if data and data.get("reason") == "resolved" else None


def unassign(session: Session, conversation: Conversation, reason: str, actor: str = "system") -> None:
    """Release the conversation's agent (their capacity frees at once)."""
    agent_id = conversation.assignee_id
    if agent_id is None:
        return
    session.execute(update(Agent).where(Agent.id == agent_id, Agent.open_count > 0)
                    .values(open_count=Agent.open_count - 1)
                    .execution_options(synchronize_session=False))
    conversation.assignee_id = None
    record(session, "unassigned", conversation_id=conversation.id, actor=actor,
           data={"agent_id": agent_id, "reason": reason})


def fill_queues(session: Session, now: datetime, pool_ids: list[int] | None = None) -> int:
    """Assign waiting conversations, earliest deadline first, while agents have capacity."""
    query = (select(Conversation).where(Conversation.assignee_id.is_(None),
                                        Conversation.state != "resolved",
                                        Conversation.pool_id.is_not(None))
             .order_by(Conversation.due_at.nulls_last(), Conversation.id).limit(QUEUE_FILL_LIMIT))
    if pool_ids is not None:
        query = query.where(Conversation.pool_id.in_(pool_ids))
    assigned = 0
    for conversation in session.execute(query).scalars():
        if try_assign(session, conversation, now) is not None:
            reasons = [*conversation.reasons, {"step": "assign", "reason": "assigned from the pool queue when capacity freed"}]
            conversation.reasons = reasons
            assigned += 1
    return assigned


def free_capacity_exists(session: Session) -> bool:
    return bool(session.execute(select(func.count()).select_from(Agent).where(
        Agent.status == "online", Agent.open_count < Agent.capacity)).scalar())
