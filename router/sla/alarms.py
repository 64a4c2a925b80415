"""The SLA alarms of a conversation: for each running deadline, a warning at the rule's
`warn_at` share of the target and a breach at the deadline, each named by the deadline
(which clock, started when) so it is recorded once however often tick looks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.desk import Desk
from router.sla.deadlines import aware, open_deadlines, walk
from router.storage.models import Conversation
from router.storage.rows import Row


@dataclass(frozen=True)
class Alarm:
    deadline: str  # first_reply | next_reply | resolution
    kind: str  # warning | breach
    clock_start: datetime
    at: datetime


def clock_start(conversation: Conversation | Row, deadline: str) -> datetime:
    if deadline == "next_reply" and conversation.next_reply_since is not None:
        return conversation.next_reply_since
    return conversation.created_at


def alarms(conversation: Conversation | Row, desk: Desk | None, pool: str | None) -> list[Alarm]:
    """Every alarm of the running deadlines, due or not, earliest first."""
    if desk is None:
        return []
    rule, _ = desk.sla_for(conversation.urgency, conversation.channel, pool)
    found = []
    for deadline, due in open_deadlines(conversation).items():
        start = aware(clock_start(conversation, deadline))
        due = aware(due)
        warn = min(walk(conversation, desk, pool, rule, deadline, start, rule.warn_at), due)
        found += [Alarm(deadline, "warning", start, warn), Alarm(deadline, "breach", start, due)]
    return sorted(found, key=lambda a: a.at)
