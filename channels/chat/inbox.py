"""The customer's chat inbox is the database: their chat conversations' messages.

A reply becomes deliverable when the worker commits it as `sent` (`mark_deliverable`);
the web process then reads what a socket has not shown yet (`history` on connect,
`replies_after` when woken), so a reply reaches the customer however many processes
and reconnects lie between the agent and the socket.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlmodel import col

from router.clock import iso, utcnow
from router.storage.db import read_scope, session_scope
from router.storage.models import Conversation, Identity, Message

HISTORY_LIMIT = 200  # frames per connect; the next connect's `after` continues from the last


def mark_deliverable(external_ids: list[str]) -> None:
    """Commit the replies as sent, before anybody is told: a socket woken by the
    announcement must find them."""
    if not external_ids:
        return
    with session_scope() as session:
        session.execute(update(Message).where(
            col(Message.channel) == "chat", col(Message.direction) == "out",
            col(Message.external_id).in_(external_ids)).values(status="sent", processed_at=utcnow()))


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    direction: str
    text: str
    at: str | None
    automatic: bool

    def frame(self) -> dict[str, Any]:
        if self.direction == "out":
            return {"type": "reply", "id": self.id, "text": self.text, "at": self.at, "automatic": self.automatic}
        return {"type": "message", "id": self.id, "text": self.text, "at": self.at}


def _of_customer(customer: str):
    """The messages of the customer's chat conversations that they may see: their own, and
    our replies once sent (a queued reply may still be refused or retried)."""
    return (select(col(Message.id), col(Message.direction), col(Message.text), col(Message.created_at),
                   col(Message.automatic))
            .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
            .join(Identity, col(Identity.customer_id) == col(Conversation.customer_id))
            .where(col(Identity.channel) == "chat", col(Identity.address) == customer,
                   col(Conversation.channel) == "chat",
                   or_(col(Message.direction) == "in", col(Message.status) == "sent")))


def _entries(query) -> list[Entry]:
    with read_scope() as session:
        return [Entry(mid, direction, text, iso(at), automatic)
                for mid, direction, text, at, automatic in session.execute(query)]


def history(customer: str, after: int | None) -> list[Entry]:
    """Everything after message `after`, oldest first; without `after`, the latest."""
    query = _of_customer(customer)
    if after is None:
        return list(reversed(_entries(query.order_by(col(Message.id).desc()).limit(HISTORY_LIMIT))))
    return _entries(query.where(col(Message.id) > after).order_by(col(Message.id)).limit(HISTORY_LIMIT))


def replies_after(customer: str, after: int) -> list[Entry]:
    """Our sent replies newer than `after`, oldest first."""
    return _entries(_of_customer(customer).where(col(Message.direction) == "out", col(Message.id) > after)
                    .order_by(col(Message.id)).limit(HISTORY_LIMIT))
