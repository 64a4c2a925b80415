"""The pipeline's working state for one message: what the steps read, decide and explain."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from config.desk import Desk
from router.models import Conversation, Customer, Message, Pool


class Stop(Exception):
    """A step ends processing on purpose; the message is done, nothing failed."""


class Duplicate(Stop):
    """The same text from the same customer was just received: attached, not alerted again."""


class AutoReply(Stop):
    """Machine-written mail that must not start a conversation of its own."""


@dataclass
class Context:
    session: Session
    message: Message
    desk: Desk
    now: datetime
    step: str = ""  # the step running now, named when one fails
    pools: dict[str, Pool] = field(default_factory=dict)
    customer: Customer | None = None
    conversation: Conversation | None = None
    is_new_conversation: bool = False
    reroute: bool = False  # the conversation's category changed: route it again
    previous_assignee_id: int | None = None  # who had a reopened conversation before its resolve
    classification: Any = None
    outbound: list[Message] = field(default_factory=list)
    reasons: list[dict[str, str]] = field(default_factory=list)

    def reason(self, step: str, text: str) -> None:
        """Record why a step decided what it did; the dashboard shows these."""
        self.reasons.append({"step": step, "reason": text, "message_id": self.message.id})
