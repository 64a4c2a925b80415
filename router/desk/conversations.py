"""What agents do to a conversation: reply, resolve, reassign. Each writes the rows, the
events and the deadline columns in one transaction; the caller rings after commit."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlmodel import Session, col

from config.desk import get_desk
from router.clock import utcnow
from router.csat import ratings as csat
from router.delivery.outbox import queue_outbound
from router.desk.assign import assign_to, fill_queues, try_assign, unassign
from router.desk.pools import pool_name_of
from router.secrets.outbound_guard import check_reply
from router.secrets.redact import redact
from router.sla import deadlines
from router.storage.events import record
from router.storage.models import Agent, Conversation, Membership, Pool
from router.storage.rows import Row

_TOKEN = re.compile(r"\[#\d+\]")


class ActionError(ValueError):
    """The action is not allowed as asked; the message says why (shown to the agent)."""


def reply_subject(conversation: Conversation) -> str:
    subject = conversation.subject or "Your request"
    if not subject.lower().startswith(("re:", "回复:", "回复：")):
        subject = f"Re: {subject}"
    return subject if _TOKEN.search(subject) else f"{subject} [#{conversation.id}]"


def reply(session: Session, conversation: Conversation, agent: Agent, text: str,
          wait_for_customer: bool = False) -> Row:
    """Answer the customer; with `wait_for_customer` the conversation waits on them and its
    clocks stop until they write again."""
    if conversation.state == "resolved":
        raise ActionError("the conversation is resolved; reopen it by writing to the customer in a new case")
    # An agent pasting a customer's secret back must not store it either; the guard then
    # judges the agent's own words (a pasted phrase holds list words like "need" and
    # "send"), and its refusal can never quote the secret.
    text = redact(text).text
    check_reply(text)  # raises OutboundRefused for a reply that asks for secrets
    now = utcnow()
    row = queue_outbound(session, conversation, text, subject=reply_subject(conversation),
                         now=now, author_id=agent.id)
    was_waiting = conversation.state == deadlines.WAITING
    was_investigating = conversation.state == deadlines.INVESTIGATING
    deadlines.on_agent_reply(conversation, now, get_desk(), pool_name_of(session, conversation),
                             wait_for_customer=wait_for_customer)
    conversation.updated_at = now
    record(session, "replied", conversation_id=conversation.id, message_id=row.id, actor=agent.name)
    if was_investigating:
        record_ended(session, conversation, agent, "replied", message_id=row.id)
    if conversation.state == deadlines.WAITING and not was_waiting:
        record(session, "paused", conversation_id=conversation.id, message_id=row.id, actor=agent.name,
               data={"reason": deadlines.WAITING})
    return row


def record_ended(session: Session, conversation: Conversation, agent: Agent, reason: str,
                 message_id: int | None = None) -> None:
    """`investigating_ended`: by a reply, a resolve or by hand (`router.sla.investigating`)."""
    record(session, "investigating_ended", conversation_id=conversation.id, message_id=message_id,
           actor=agent.name, data={"reason": reason})


def resolve(session: Session, conversation: Conversation, agent: Agent) -> Row | None:
    """Resolve it; returns the rating request queued to the customer (router.csat.ratings), if
    one was: the caller rings the `outbound` doorbell after commit."""
    if conversation.state == "resolved":
        return None  # resolving twice is the same state
    now = utcnow()
    pool_ids = _agent_pools(session, conversation.assignee_id)
    unassign(session, conversation, reason="resolved", actor=agent.name)
    was_investigating = conversation.state == deadlines.INVESTIGATING
    deadlines.on_resolve(conversation, now)
    conversation.updated_at = now
    if was_investigating:
        record_ended(session, conversation, agent, "resolved")
    record(session, "resolved", conversation_id=conversation.id, actor=agent.name)
    request = csat.ask(session, conversation, now)
    fill_queues(session, now, pool_ids)  # the freed capacity takes the next waiting case
    return request


def reassign(session: Session, conversation: Conversation, actor: Agent, *,
             agent_name: str | None = None, pool_name: str | None = None) -> None:
    """Move to another agent and/or pool; one `reassigned` event says who moved it from
    where to where (the routed/assigned/unassigned events keep the steps)."""
    before = _placement(session, conversation)
    _reassign(session, conversation, actor, agent_name=agent_name, pool_name=pool_name)
    after = _placement(session, conversation)
    if after != before:
        record(session, "reassigned", conversation_id=conversation.id, actor=actor.name,
               data={"pool": [before[0], after[0]], "agent": [before[1], after[1]]})


def _placement(session: Session, conversation: Conversation) -> tuple[str | None, str | None]:
    pool = session.get(Pool, conversation.pool_id) if conversation.pool_id is not None else None
    agent = session.get(Agent, conversation.assignee_id) if conversation.assignee_id is not None else None
    return (pool.name if pool else None, agent.name if agent else None)


def _reassign(session: Session, conversation: Conversation, actor: Agent, *,
              agent_name: str | None, pool_name: str | None) -> None:
    if conversation.state == "resolved":
        raise ActionError("a resolved conversation cannot be reassigned")
    now = utcnow()
    if pool_name is not None:
        pool = session.execute(select(Pool).where(col(Pool.name) == pool_name)).scalars().first()
        if pool is None:
            raise ActionError(f"unknown pool {pool_name!r}")
        if pool.id != conversation.pool_id:
            conversation.pool_id = pool.id
            record(session, "routed", conversation_id=conversation.id, actor=actor.name,
                   data={"pool": pool.name, "manual": True})
    if agent_name is not None:
        target = session.execute(select(Agent).where(col(Agent.name) == agent_name)).scalars().first()
        if target is None:
            raise ActionError(f"unknown agent {agent_name!r}")
        if session.get(Membership, (target.id, conversation.pool_id)) is None:
            raise ActionError(f"{agent_name} is not a member of this conversation's pool")
        if target.id == conversation.assignee_id:
            return
        unassign(session, conversation, reason=f"reassigned to {agent_name}", actor=actor.name)
        # A person's explicit choice may exceed capacity; the count stays true.
        target.open_count += 1
        target.last_assigned_at = now
        assign_to(session, conversation, target.id, target.name, now, actor=actor.name)
    elif pool_name is not None:
        unassign(session, conversation, reason=f"moved to pool {pool_name}", actor=actor.name)
        try_assign(session, conversation, now)
    conversation.updated_at = now


def _agent_pools(session: Session, agent_id: int | None) -> list[int]:
    if agent_id is None:
        return []
    return list(session.execute(select(col(Membership.pool_id)).where(col(Membership.agent_id) == agent_id)).scalars())
