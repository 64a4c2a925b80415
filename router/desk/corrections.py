"""Agents correct a conversation's category or urgency; the correction is kept as
training data (`msgrouter train --with-corrections`) and takes effect at once: a new
category re-routes the conversation, a new urgency moves its deadlines.  A conversation
waiting in the triage pool is routed on by any correction, even one that confirms the
labels: the lead's labels are what it waited for."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlmodel import Session, col

from config.desk import Desk
from router.classify import get_rules
from router.clock import utcnow
from router.desk.assign import try_assign
from router.desk.pools import pool_name_of
from router.desk.routing import move_to_pool
from router.sla import deadlines
from router.storage.events import record
from router.storage.models import Agent, Conversation, Correction, Message, Pool


class CorrectionError(ValueError):
    """The labels are not in the taxonomy, or there is nothing to correct."""


def _check(category: str | None, urgency: str | None) -> None:
    config = get_rules().config
    if category is None and urgency is None:
        raise CorrectionError("give a category, an urgency, or both")
    if category is not None and category not in config.categories:
        raise CorrectionError(f"unknown category {category!r}; one of {', '.join(config.categories)}")
    if urgency is not None and urgency not in config.urgencies:
        raise CorrectionError(f"unknown urgency {urgency!r}; one of {', '.join(config.urgencies)}")


def _first_inbound(session: Session, conversation: Conversation) -> Message:
    message = session.execute(select(Message).where(
        col(Message.conversation_id) == conversation.id, col(Message.direction) == "in")
        .order_by(col(Message.id)).limit(1)).scalars().first()
    if message is None:
        raise CorrectionError(f"conversation #{conversation.id} has no customer message to learn from")
    return message


def correct(session: Session, conversation: Conversation, agent: Agent, desk: Desk, *,
            category: str | None = None, urgency: str | None = None) -> Correction:
    """Relabel the conversation (and its first customer message, which opened it)."""
    _check(category, urgency)
    message = _first_inbound(session, conversation)
    before = (conversation.category, conversation.urgency)
    new_category = category or conversation.category
    new_urgency = urgency or conversation.urgency
    assert conversation.id is not None and message.id is not None and agent.id is not None  # stored rows
    row = Correction(conversation_id=conversation.id, message_id=message.id, agent_id=agent.id,
                     category=new_category, urgency=new_urgency,
                     previous_category=before[0], previous_urgency=before[1])
    session.add(row)
    message.category, message.urgency = new_category, new_urgency
    conversation.category, conversation.urgency = new_category, new_urgency
    conversation.updated_at = utcnow()
    record(session, "corrected", conversation_id=conversation.id, message_id=message.id, actor=agent.name,
           data={"category": [before[0], new_category], "urgency": [before[1], new_urgency]})
    if new_urgency != before[1] and conversation.state != "resolved":
        record(session, "deadline_set", conversation_id=conversation.id, actor=agent.name,
               data={"rule": deadlines.on_relabel(conversation, desk, pool_name_of(session, conversation))})
    parked = pool_name_of(session, conversation) == get_rules().config.triage_pool
    if (new_category != before[0] or parked) and conversation.state != "resolved":
        _reroute(session, conversation, desk, agent)
    session.flush()
    return row


def _reroute(session: Session, conversation: Conversation, desk: Desk, agent: Agent) -> None:
    pool_name, index = desk.route(conversation.category, conversation.language)
    pool = session.execute(select(Pool).where(col(Pool.name) == pool_name)).scalars().one()
    move_to_pool(session, conversation, pool, data={"rule": index, "after": "correction"}, actor=agent.name)
    if conversation.assignee_id is None:
        try_assign(session, conversation, utcnow())


def training_records(session: Session) -> Iterator[dict]:
    """The latest correction of each message, with the message's (already redacted) text."""
    latest = select(Correction).order_by(col(Correction.message_id), col(Correction.id).desc())
    seen: set[int] = set()
    for correction in session.execute(latest).scalars():
        if correction.message_id in seen:
            continue
        seen.add(correction.message_id)
        message = session.get(Message, correction.message_id)
        assert message is not None  # a correction's message is never deleted
        yield {"id": f"correction-{correction.id}", "text": message.text, "subject": message.subject or "",
               "channel": message.channel, "category": correction.category, "urgency": correction.urgency}
