"""Reply deadlines: computed from the desk's SLA table and kept as conversation columns.

`due_at` is always the earliest open deadline and `sla_check_at` the next warning or
breach tick must look at, both updated in the same transaction as the change that moved
them, so the periodic tick finds what is due with one indexed query. Each target is
walked through calendar time or the pool's business calendar (`router.sla.business_time`),
skipping the stretches the conversation waited on the customer (`pauses`, its state
history), so working a due time out again always gives the same answer.
"""
from __future__ import annotations

from datetime import UTC, datetime

from config.desk import Desk
from config.sla import SlaRule
from router.clock import iso
from router.sla.business_time import Pause, calendar_for
from router.storage.models import Conversation
from router.storage.rows import Row  # the pipeline passes conversations as plain rows

Conv = Conversation | Row
WAITING = "waiting_customer"
INVESTIGATING = "investigating"


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse(value: str | None) -> datetime | None:
    return None if value is None else aware(datetime.fromisoformat(value.replace("Z", "+00:00")))


def pauses_of(conversation: Conv) -> list[Pause]:
    found: list[Pause] = []
    for paused, resumed, *_ in conversation.pauses or []:
        start = _parse(paused)
        assert start is not None
        found.append((start, _parse(resumed)))
    return found


def walk(conversation: Conv, desk: Desk, pool: str | None, rule: SlaRule, target: str,
         start: datetime, share: float = 1.0) -> datetime:
    """`share` of the rule's `target` after `start`, in the target's clock, pauses skipped."""
    calendar = calendar_for(desk, pool, rule.clock_of(target))
    return calendar.add(aware(start), rule.seconds(target) * share, pauses_of(conversation))


def open_deadlines(conversation: Conv) -> dict[str, datetime]:
    """The deadlines still running: answered, paused or resolved ones do not count."""
    if conversation.state in ("resolved", WAITING):
        return {}
    found = {}
    if conversation.first_replied_at is None and conversation.first_reply_due_at:
        found["first_reply"] = conversation.first_reply_due_at
    if conversation.next_reply_due_at:
        found["next_reply"] = conversation.next_reply_due_at
    if conversation.resolution_due_at:
        found["resolution"] = conversation.resolution_due_at
    return found


def refresh_due(conversation: Conv, desk: Desk | None = None, pool: str | None = None) -> None:
    from router.sla.alarms import alarms  # alarms reads the deadlines this module sets

    deadlines = open_deadlines(conversation)
    conversation.due_at = min(deadlines.values()) if deadlines else None
    ahead = alarms(conversation, desk, pool) if desk is not None and deadlines else []
    conversation.sla_check_at = min((a.at for a in ahead), default=None)


def _resume(conversation: Conv, now: datetime) -> None:
    """The customer wrote while we waited on them: the paused clocks run again."""
    conversation.state = "open"
    history = [list(p) for p in conversation.pauses or []]
    if history and history[-1][1] is None:
        history[-1][1] = iso(now)
    conversation.pauses = history


def on_customer_message(conversation: Conv, desk: Desk, now: datetime, pool: str | None = None) -> str:
    """A customer wrote: start, resume or tighten the clocks. Returns the reason to record."""
    rule, index = desk.sla_for(conversation.urgency, conversation.channel, pool)
    resumed = conversation.state == WAITING
    if resumed:
        _resume(conversation, now)
    if conversation.first_replied_at is None:
        due = walk(conversation, desk, pool, rule, "first_reply", conversation.created_at)
        # A raised urgency can only bring the deadline closer, never push it away.
        if conversation.first_reply_due_at is None or due < conversation.first_reply_due_at:
            conversation.first_reply_due_at = due
        what = f"first reply due {due:%Y-%m-%d %H:%M} UTC"
    else:
        # The oldest unanswered customer message starts the next-reply clock; a raised
        # urgency can only bring it closer.
        if conversation.next_reply_since is None:
            conversation.next_reply_since = now
        due = walk(conversation, desk, pool, rule, "next_reply", now)
        if conversation.next_reply_due_at is None or due < conversation.next_reply_due_at:
            conversation.next_reply_due_at = due
        what = f"next reply due {conversation.next_reply_due_at:%Y-%m-%d %H:%M} UTC"
    resolution = walk(conversation, desk, pool, rule, "resolution", conversation.created_at)
    # After a pause the resolution clock is worked out again from the whole history: it
    # moves later by the time spent waiting on the customer.
    if resumed or conversation.resolution_due_at is None or resolution < conversation.resolution_due_at:
        conversation.resolution_due_at = resolution
    refresh_due(conversation, desk, pool)
    clock = "" if rule.clock == "calendar" else f" [{_clock_text(rule)}]"
    return (f"sla[{index}] ({rule.channel}/{rule.urgency}) for {conversation.urgency} "
            f"{conversation.channel}: {what}{clock}" + ("; resumed after waiting on the customer" if resumed else ""))


def _clock_text(rule: SlaRule) -> str:
    return ", ".join(f"{t} {rule.clock_of(t)} time" for t in ("first_reply", "next_reply", "resolution"))


def on_relabel(conversation: Conv, desk: Desk, pool: str | None = None) -> str:
    """An agent corrected the urgency: the clocks follow the new SLA, in either direction
    (a person's judgement replaces the classifier's), except a reply already given."""
    rule, index = desk.sla_for(conversation.urgency, conversation.channel, pool)
    # While the desk waits on the customer every clock is stopped with no end yet, so there
    # is no moment to walk to (the walk failed, a 500); the new rule's deadlines are worked
    # out when the customer writes again (on_customer_message).
    if conversation.state == WAITING:
        refresh_due(conversation, desk, pool)
        return f"sla[{index}] ({rule.channel}/{rule.urgency}) for {conversation.urgency} {conversation.channel}"
    if conversation.first_replied_at is None:
        conversation.first_reply_due_at = walk(conversation, desk, pool, rule, "first_reply",
                                               conversation.created_at)
    if conversation.resolved_at is None:
        conversation.resolution_due_at = walk(conversation, desk, pool, rule, "resolution",
                                              conversation.created_at)
    refresh_due(conversation, desk, pool)
    return f"sla[{index}] ({rule.channel}/{rule.urgency}) for {conversation.urgency} {conversation.channel}"


def on_investigating(conversation: Conv, desk: Desk, now: datetime, pool: str | None = None,
                     status_update: bool = False) -> bool:
    """The desk is working on it: the customer is owed news, so the next-reply clock runs.

    Marking starts it from now unless one is already running (a customer message still
    unanswered keeps its earlier clock). A status update is news from the desk: like an
    answer it meets the running next-reply clock and, the desk still working, starts the
    next one from now. It is not a first reply: the first-reply clock runs on. The due time
    is always `walk(next_reply, next_reply_since)`, so worked out again it is the same.
    A conversation waiting on the customer resumes (the desk took it up again). Returns
    whether it did."""
    rule, _ = desk.sla_for(conversation.urgency, conversation.channel, pool)
    resumed = conversation.state == WAITING
    if resumed:
        _resume(conversation, now)
        conversation.resolution_due_at = walk(conversation, desk, pool, rule, "resolution",
                                              conversation.created_at)
    conversation.state = INVESTIGATING
    conversation.investigating_since = conversation.investigating_since or now
    if status_update or conversation.next_reply_since is None:
        conversation.next_reply_since = now
        conversation.next_reply_due_at = walk(conversation, desk, pool, rule, "next_reply", now)
    refresh_due(conversation, desk, pool)
    return resumed


def end_investigating(conversation: Conv) -> bool:
    """The investigation is over; returns whether there was one. Its next-reply clock
    runs on: only an answer gives the customer the news they are owed."""
    if conversation.state != INVESTIGATING:
        return False
    conversation.state = "open"
    conversation.investigating_since = None
    return True


def on_agent_reply(conversation: Conv, now: datetime, desk: Desk | None = None, pool: str | None = None,
                   wait_for_customer: bool = False) -> None:
    """An agent answered: the first- and next-reply clocks are met and an investigation
    ends; with `wait_for_customer` every clock stops until the customer writes again."""
    end_investigating(conversation)
    if conversation.first_replied_at is None:
        conversation.first_replied_at = now
    conversation.next_reply_due_at = None
    conversation.next_reply_since = None
    if wait_for_customer and conversation.state != WAITING:
        conversation.state = WAITING
        conversation.pauses = [*(list(p) for p in conversation.pauses or []), [iso(now), None, WAITING]]
    refresh_due(conversation, desk, pool)


def on_resolve(conversation: Conv, now: datetime) -> None:
    if conversation.state == WAITING:
        _resume(conversation, now)  # the pause ends with the case: its history stays closed
    end_investigating(conversation)
    conversation.state = "resolved"
    conversation.resolved_at = now
    conversation.next_reply_due_at = None
    conversation.next_reply_since = None
    refresh_due(conversation)
