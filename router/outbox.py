"""The outbox: every message we send is a row first, then a delivery through its channel.

Replies and acknowledgements are queued in the same transaction as the change that
caused them and sent after commit by the `deliver` task, with capped, backed-off
retries. A row that was sent is never claimed again, so a retried task cannot send
a delivered reply twice.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from channels import get_channel
from channels.base import Outbound
from config.settings import get_settings
from router.claims import claim
from router.clock import utcnow
from router.db import get_engine, session_scope
from router.doorbell import get_doorbell
from router.events import record
from router import rows
from router.models import Conversation, Identity, Message
from router.rows import Row

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 6
DELIVER_BATCH = 50
_MESSAGE_ID = re.compile(r"^<[^<>\s]+>$")


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 30 minutes."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 1800))


def _last_inbound(session: Session, conversation_id: int) -> Message | None:
    return session.execute(select(Message).where(
        Message.conversation_id == conversation_id, Message.direction == "in")
        .order_by(Message.id.desc()).limit(1)).scalars().first()


def outbound_row(conversation, text: str, *, subject: str, now: datetime, answering,  # noqa: ANN001
                 automatic: bool = False, author_id: int | None = None) -> Row:
    """The outbound message answering the customer message `answering` (None when there is
    none), threaded to it, not yet inserted."""
    thread = [r for r in [*(answering.references if answering else []),
                          answering.external_id if answering else ""] if _MESSAGE_ID.match(r)]
    channel = get_channel(conversation.channel)
    # The desk's own address on this channel (for email the From of our mail), so
    # the conversation shows who wrote; the agent, if any, is `author_id`.
    sender, sender_name = channel.our_address()
    return rows.new(
        Message, conversation_id=conversation.id, direction="out", channel=conversation.channel,
        external_id=channel.new_external_id(conversation.id), sender=sender, sender_name=sender_name,
        status="queued", recipient=answering.sender if answering else "", subject=subject, text=text,
        language=conversation.language, automatic=automatic, author_id=author_id,
        in_reply_to=thread[-1] if thread else "", references=list(dict.fromkeys(thread)),
        created_at=now)


def queue_outbound(session: Session, conversation: Conversation, text: str, *, subject: str,
                   now: datetime, author_id: int | None = None) -> Row:
    """Insert one outbound message answering the conversation's last customer message; the
    caller rings the `outbound` doorbell after commit."""
    row = outbound_row(conversation, text, subject=subject, now=now, author_id=author_id,
                       answering=_last_inbound(session, conversation.id))
    session.flush()  # the conversation's own pending changes first
    rows.insert_all(session, Message, [row])
    return row


def _to_outbound(row: Message) -> Outbound:
    return Outbound(channel=row.channel, recipient=row.recipient, text=row.text, subject=row.subject,
                    message_id=row.external_id, in_reply_to=row.in_reply_to,
                    references=list(row.references), automatic=row.automatic,
                    language=row.language or "en")


def _record_result(session: Session, row: Message, ok: bool, permanent: bool, detail: str) -> None:
    now = utcnow()
    if ok:
        row.status, row.processed_at, row.error = "sent", now, None
        record(session, "delivered", conversation_id=row.conversation_id, message_id=row.id)
        return
    row.error = detail[:2000]
    if permanent or row.attempts >= MAX_SEND_ATTEMPTS:
        row.status = "failed"
        record(session, "delivery_failed", conversation_id=row.conversation_id, message_id=row.id,
               data={"error": detail[:300], "attempts": row.attempts, "permanent": permanent})
        if permanent:
            session.execute(update(Identity).where(Identity.channel == row.channel,
                                                   Identity.address == row.recipient)
                            .values(undeliverable=True))
        return
    # Back to the queue; claimed_at holds the time of the next attempt.
    row.status, row.claimed_at = "queued", now + backoff(row.attempts)


def deliver_one(message_id: int, engine=None) -> bool:  # noqa: ANN001
    with session_scope(engine) as session:
        row = session.get(Message, message_id)
        if row is None or row.status != "sending":
            return False
        outbound = _to_outbound(row)
    try:
        result = get_channel(outbound.channel).send(outbound)
        ok, permanent, detail = result.ok, result.permanent, result.detail
    except Exception as exc:  # a channel bug must not lose the row: retried, then failed
        log.exception("sending message %s raised", message_id)
        ok, permanent, detail = False, False, f"{type(exc).__name__}: {exc}"
    with session_scope(engine) as session:
        _record_result(session, session.get(Message, message_id), ok, permanent, detail)
    log.info("message %s %s", message_id, "sent" if ok else f"not sent: {detail[:200]}")
    return ok


def deliver_pending(engine=None) -> int:  # noqa: ANN001
    settings = get_settings()
    engine = engine or get_engine()
    doorbell = get_doorbell()
    doorbell.answer("outbound")
    with session_scope(engine) as session:
        ids = claim(session, "out", DELIVER_BATCH, utcnow(), settings.claim_lease_seconds)
    sent = sum(deliver_one(message_id, engine) for message_id in ids)
    if len(ids) == DELIVER_BATCH:
        doorbell.ring("outbound")
    return sent
