"""Per-conversation SLA figures, each in calendar seconds and in business seconds (the
pool's calendar): time to the first reply, replies given, time to resolution, breaches;
and the conversation's clocks as the API shows them (due, time left, paused and why)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from config.desk import Desk
from router.clock import iso
from router.sla.business_time import ALWAYS, BusinessCalendar, calendar_for
from router.sla.deadlines import WAITING, aware, open_deadlines, pauses_of
from router.storage.models import Conversation
from router.storage.rows import Row

TARGETS = ("first_reply", "next_reply", "resolution")


def business_calendar(desk: Desk, pool: str | None) -> BusinessCalendar:
    return calendar_for(desk, pool, "business")


def _span(calendar: BusinessCalendar, start: datetime, end: datetime | None) -> dict[str, float | None]:
    if end is None:
        return {"calendar_seconds": None, "business_seconds": None}
    start, end = aware(start), aware(end)
    return {"calendar_seconds": round(ALWAYS.seconds_between(start, end), 1),
            "business_seconds": round(calendar.seconds_between(start, end), 1)}


def figures(conversation: Conversation | Row, desk: Desk, pool: str | None, replies: int,
            breaches: int, now: datetime) -> dict[str, Any]:
    calendar = business_calendar(desk, pool)
    paused = round(sum(((r or now) - p).total_seconds() for p, r in pauses_of(conversation)), 1)
    return {"first_reply": _span(calendar, conversation.created_at, conversation.first_replied_at),
            "resolution": _span(calendar, conversation.created_at, conversation.resolved_at),
            "replies": replies, "breaches": breaches, "paused_seconds": paused}


def clocks(conversation: Conversation, desk: Desk, pool: str | None, now: datetime,
           breached: set[str]) -> dict[str, Any]:
    """Each deadline with its state, time left and clock; whether the clocks are paused."""
    rule, index = desk.sla_for(conversation.urgency, conversation.channel, pool)
    running = open_deadlines(conversation)
    waiting = conversation.state == WAITING
    since = conversation.pauses[-1][0] if waiting and conversation.pauses else None
    shown = []
    for target in TARGETS:
        due = getattr(conversation, f"{target}_due_at")
        if target in running:
            state = "breached" if target in breached or aware(due) <= now else "running"
        elif waiting and due is not None and target != "first_reply":
            state = "paused"
        elif target == "first_reply" and conversation.first_replied_at is not None:
            state = "breached" if target in breached else "met"
        else:
            state = "breached" if target in breached else ("stopped" if due is not None else "not started")
        shown.append({"deadline": target, "due_at": iso(due), "state": state, "clock": rule.clock_of(target),
                      "seconds_left": int((aware(due) - now).total_seconds()) if target in running else None})
    return {"rule": index, "paused": waiting, "paused_reason": WAITING if waiting else None,
            "paused_since": since, "deadlines": shown}
