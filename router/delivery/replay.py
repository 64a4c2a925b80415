"""Parked and failed outbound messages: listing them, and putting one back in the queue.

A message is parked when its retries ran out (the relay was down for longer than the retry
window) and failed when the channel refused it for good; either stays until an operator
replays it (`msgrouter replay --outbound ID`), which queues it for an attempt now with a
fresh retry window. The caller rings the `outbound` doorbell after commit.
"""
from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, insert, select, update
from sqlmodel import Session, col

from router.storage import rows
from router.storage.models import Event, Message

REPLAYABLE = ("parked", "failed")


class NotReplayable(LookupError):
    """The message is not an outbound message waiting for an operator."""


def replay_outbound(session: Session, message_id: int, now: datetime, actor: str = "operator") -> Message:
    """Queue a parked or failed outbound message for an attempt now; NotReplayable otherwise."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "out" or message.status not in REPLAYABLE:
        status = "no such message" if message is None else f"{message.direction}bound, {message.status}"
        raise NotReplayable(f"message {message_id} is not a parked or failed outbound message ({status})")
    changed = cast(CursorResult, session.execute(
        update(Message).where(col(Message.id) == message_id, col(Message.status).in_(REPLAYABLE))
        .values(status="queued", claimed_at=None, claim_token=None, retry_until=None)))
    if not changed.rowcount:
        raise NotReplayable(f"message {message_id} was replayed by someone else just now")
    session.execute(insert(rows.table_of(Event)), [{
        "conversation_id": message.conversation_id, "message_id": message_id, "kind": "delivery_replayed",
        "actor": actor, "at": now, "data": {"was": message.status, "attempts": message.attempts}}])
    return message


def outbound_with_status(session: Session, status: str, limit: int, offset: int) -> list[Message]:
    """Outbound messages in `status`, oldest first (the index on direction, status, id)."""
    return list(session.execute(select(Message).where(col(Message.direction) == "out",
                                                      col(Message.status) == status)
                                .order_by(col(Message.id)).limit(limit).offset(offset)).scalars())
