"""Investigating: the desk is working on a conversation (checking a withdrawal with the
chain team, say) and the customer is owed news meanwhile.

Marking it starts (or keeps) the next-reply clock (`deadlines.on_investigating`); with a
status update, a templated message in the customer's language goes out through the
outbox, `automatic` (not a person's answer): it restarts the next-reply clock but is not a
first reply. An agent's reply, a resolve or `end` finishes the investigation. Rows,
events and deadline columns are written in the caller's transaction; the caller rings
the `outbound` doorbell after commit.
"""
from __future__ import annotations

from sqlmodel import Session

from config.desk import Desk, get_desk
from router.clock import iso, utcnow
from router.delivery.outbox import queue_outbound
from router.desk.conversations import ActionError, record_ended
from router.desk.pools import pool_name_of
from router.sla import deadlines
from router.storage.events import record
from router.storage.models import Agent, Conversation
from router.storage.rows import Row

MARKABLE = ("open", deadlines.WAITING, deadlines.INVESTIGATING)


def render_update(desk: Desk, conversation: Conversation) -> tuple[str, str]:
    """(subject, body) of the status update, in the conversation's language. Only what we
    know of the case is offered (config.desk.TEMPLATE_FIELDS), nothing the customer wrote."""
    if desk.status_update is None:
        raise ActionError("this desk has no status update templates ([status_update] in the desk file)")
    templates = desk.status_update.templates
    template = templates.get(conversation.language) or templates[desk.desk.default_language]
    due = conversation.next_reply_due_at
    values = {"conversation_id": conversation.id, "desk_name": desk.desk.name,
              "due_human": f"{due:%Y-%m-%d %H:%M}" if due else "-"}
    return template.subject.format(**values), template.body.format(**values)


def mark(session: Session, conversation: Conversation, agent: Agent, status_update: bool = False) -> Row | None:
    """Mark the conversation investigating (again); returns the status update queued, if
    one was asked for."""
    if conversation.state not in MARKABLE:
        raise ActionError(f"a {conversation.state} conversation cannot be investigated"
                          + ("; reopen it by writing to the customer in a new case"
                             if conversation.state == "resolved" else ""))
    desk, now = get_desk(), utcnow()
    if status_update and desk.status_update is None:
        render_update(desk, conversation)  # raises: say so before changing anything
    started = conversation.state != deadlines.INVESTIGATING
    resumed = deadlines.on_investigating(conversation, desk, now, pool_name_of(session, conversation),
                                         status_update=status_update)
    conversation.updated_at = now
    row = None
    if status_update:
        subject, body = render_update(desk, conversation)
        row = queue_outbound(session, conversation, body, subject=subject, now=now,
                             author_id=agent.id, automatic=True)
    if resumed:
        record(session, "resumed", conversation_id=conversation.id, actor=agent.name,
               data={"reason": "investigating"})
    if started:
        record(session, "investigating_started", conversation_id=conversation.id,
               message_id=row.id if row else None, actor=agent.name,
               data={"status_update": status_update, "next_reply_due_at": iso(conversation.next_reply_due_at)})
    if row is not None:
        record(session, "status_update", conversation_id=conversation.id, message_id=row.id, actor=agent.name,
               data={"language": row.language, "next_reply_due_at": iso(conversation.next_reply_due_at)})
    return row


def end(session: Session, conversation: Conversation, agent: Agent, reason: str = "ended") -> bool:
    """Finish the investigation (nothing to do when there is none); the next-reply clock
    runs on until someone answers. Returns whether one ended."""
    if not deadlines.end_investigating(conversation):
        return False
    conversation.updated_at = utcnow()
    record_ended(session, conversation, agent, reason)
    return True
