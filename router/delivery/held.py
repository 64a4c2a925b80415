"""Replies held for the customer's return: a channel that takes messages only for a while
after the customer last wrote (WeChat: 48 hours) answers the outbox with `hold`. The
message is then kept as `held`, with the reason, and an agent is told of the customer's
other doors (an email address, say); when the customer writes again it is queued once more
and sent.

`hold` runs inside the outbox's transaction over the batch's held rows; `release` runs
when a customer's message on such a channel is stored.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, func, insert, select, update
from sqlmodel import Session, col

from channels.base import DeliveryResult
from router.clock import utcnow
from router.delivery.reachability import set_reachable
from router.queue.doorbell import get_doorbell
from router.storage import rows
from router.storage.db import get_engine, session_scope
from router.storage.models import Conversation, Event, Identity, Message
from router.storage.pairs import pairs_in
from router.storage.rows import Row

log = logging.getLogger(__name__)
HELD = "held"


def hold(session: Session, held: list[tuple[Row, DeliveryResult]], now: datetime) -> list[dict]:
    """Set each row `held` (the outbox writes the rows) and return the events to insert. A row
    whose customer wrote after this attempt began goes back to the queue instead: that
    message's `release` may have run before this hold."""
    pairs = list({(row.channel, row.recipient) for row, _ in held})
    last_in = {(c, a): t for c, a, t in session.execute(
        select(col(Message.channel), col(Message.sender), func.max(Message.created_at))
        .where(col(Message.direction) == "in", pairs_in(col(Message.channel), col(Message.sender), pairs))
        .group_by(col(Message.channel), col(Message.sender)))}
    doors = _other_doors(session, [row.conversation_id for row, _ in held if row.conversation_id])
    events = []
    for row, result in held:
        wrote = last_in.get((row.channel, row.recipient))
        if wrote is not None and row.claimed_at is not None and _aware(wrote) >= _aware(row.claimed_at):
            row.status, row.claimed_at, row.error = "queued", now, result.detail[:2000]
            continue
        others = [d for d in doors.get(row.conversation_id, []) if d["channel"] != row.channel]
        offer = "; ".join(f"the customer can also be reached by {d['channel']} at {d['address']}" for d in others)
        row.status, row.error = HELD, (result.detail + (f"; {offer}" if offer else ""))[:2000]
        events.append({"conversation_id": row.conversation_id, "message_id": row.id, "kind": "delivery_held",
                       "actor": "system", "at": now, "data": {"reason": result.detail[:300], "other_doors": others}})
        log.info("message %s held: %s", row.id, result.detail[:200])
    return events


def _aware(when: datetime) -> datetime:
    # SQLite gives back naive UTC.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _other_doors(session: Session, conversation_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """Each conversation's customer's identities that can be written to, by conversation."""
    found: dict[int, list[dict[str, str]]] = {}
    if not conversation_ids:
        return found
    for conversation_id, channel, address in session.execute(
            select(col(Conversation.id), col(Identity.channel), col(Identity.address))
            .join(Identity, and_(col(Identity.customer_id) == col(Conversation.customer_id),
                                 col(Identity.undeliverable).is_(False)))
            .where(col(Conversation.id).in_(conversation_ids)).order_by(col(Identity.id))):
        found.setdefault(conversation_id, []).append({"channel": channel, "address": address})
    return found


def release(channel: str, address: str, engine: Engine | None = None) -> int:
    """The customer at `address` wrote again: their held messages are queued (sent by the next
    delivery) and the address is reachable again. Returns how many were released."""
    now = utcnow()
    messages = rows.table_of(Message)
    with session_scope(engine or get_engine()) as session:
        released = session.execute(
            update(messages).where(messages.c.direction == "out", messages.c.status == HELD,
                                   messages.c.channel == channel, messages.c.recipient == address)
            .values(status="queued", claimed_at=None, attempts=0, error=None)
            .returning(messages.c.id, messages.c.conversation_id)).all()
        set_reachable(session, channel, address, True)
        if released:
            session.execute(insert(rows.table_of(Event)), [
                {"conversation_id": conversation_id, "message_id": message_id, "kind": "delivery_released",
                 "actor": "system", "at": now, "data": {"reason": "the customer wrote again"}}
                for message_id, conversation_id in released])
    if released:
        log.info("%d held %s messages to %s released: the customer wrote again", len(released), channel, address)
        get_doorbell().ring("outbound")
    return len(released)
