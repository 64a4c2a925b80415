"""Reply deadlines: computed from the desk's SLA table and kept as conversation columns.

`due_at` is always the earliest open deadline, updated in the same transaction as the
change that moved it, so the periodic tick finds what is due with one indexed query.
Targets are counted in calendar time here; `add_target` is the one place a business-
hours calendar plugs in.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from config.desk import Desk
from router.models import Conversation
from router.rows import Row  # the pipeline passes conversations as plain rows


def add_target(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=seconds)


def open_deadlines(conversation: Conversation | Row) -> dict[str, datetime]:
    """The deadlines still running: answered, paused or resolved ones do not count."""
    if conversation.state in ("resolved", "waiting_customer"):
        return {}
    found = {}
    if conversation.first_replied_at is None and conversation.first_reply_due_at:
        found["first_reply"] = conversation.first_reply_due_at
    if conversation.next_reply_due_at:
        found["next_reply"] = conversation.next_reply_due_at
    if conversation.resolution_due_at:
        found["resolution"] = conversation.resolution_due_at
    return found


def refresh_due(conversation: Conversation | Row) -> None:
    deadlines = open_deadlines(conversation)
    conversation.due_at = min(deadlines.values()) if deadlines else None


def on_customer_message(conversation: Conversation | Row, desk: Desk, now: datetime) -> str:
    """A customer wrote: start or tighten the clocks. Returns the reason to record."""
    rule, index = desk.sla_for(conversation.urgency, conversation.channel)
    if conversation.state == "waiting_customer":
        conversation.state = "open"
    if conversation.first_replied_at is None:
        due = add_target(conversation.created_at, rule.first_reply)
        # A raised urgency can only bring the deadline closer, never push it away.
        if conversation.first_reply_due_at is None or due < conversation.first_reply_due_at:
            conversation.first_reply_due_at = due
        what = f"first reply due {due:%Y-%m-%d %H:%M} UTC"
    else:
        # The oldest unanswered customer message sets the next-reply clock; a raised
        # urgency can only bring it closer.
        due = add_target(now, rule.next_reply)
        if conversation.next_reply_due_at is None or due < conversation.next_reply_due_at:
            conversation.next_reply_due_at = due
        what = f"next reply due {conversation.next_reply_due_at:%Y-%m-%d %H:%M} UTC"
    resolution = add_target(conversation.created_at, rule.resolution)
    if conversation.resolution_due_at is None or resolution < conversation.resolution_due_at:
        conversation.resolution_due_at = resolution
    refresh_due(conversation)
    return (f"sla[{index}] ({rule.channel}/{rule.urgency}) for {conversation.urgency} "
            f"{conversation.channel}: {what}")


def on_relabel(conversation: Conversation | Row, desk: Desk) -> str:
    """An agent corrected the urgency: the clocks follow the new SLA, in either direction
    (a person's judgement replaces the classifier's), except a reply already given."""
    rule, index = desk.sla_for(conversation.urgency, conversation.channel)
    if conversation.first_replied_at is None:
        conversation.first_reply_due_at = add_target(conversation.created_at, rule.first_reply)
    if conversation.resolved_at is None:
        conversation.resolution_due_at = add_target(conversation.created_at, rule.resolution)
    refresh_due(conversation)
    return f"sla[{index}] ({rule.channel}/{rule.urgency}) for {conversation.urgency} {conversation.channel}"


def on_agent_reply(conversation: Conversation | Row, now: datetime) -> None:
    if conversation.first_replied_at is None:
        conversation.first_replied_at = now
    conversation.next_reply_due_at = None
    refresh_due(conversation)


def on_resolve(conversation: Conversation | Row, now: datetime) -> None:
    conversation.state = "resolved"
    conversation.resolved_at = now
    conversation.next_reply_due_at = None
    refresh_due(conversation)
