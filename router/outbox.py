"""The outbox: every message we send is a row first, then a delivery through its channel.

Replies and acknowledgements are queued in the same transaction as the change that
caused them and sent after commit by the `deliver` task, a claimed batch at a time: one
channel session for the batch, its outcomes written in one transaction, capped and
backed-off retries. A row that was sent is never claimed again, so a retried task cannot
send a delivered reply twice.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, col

from channels import get_channel
from channels.base import DeliveryResult, Outbound
from config.settings import get_settings
from router import metrics, rows
from router.claims import claim
from router.clock import utcnow
from router.db import get_engine, session_scope
from router.doorbell import get_doorbell
from router.logs import log_extra
from router.models import Conversation, Event, Identity, Message
from router.rows import Row

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 6
DELIVER_BATCH = 50
_MESSAGE_ID = re.compile(r"^<[^<>\s]+>$")


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 30 minutes."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 1800))


def _last_inbound(session: Session, conversation_id: int | None) -> Message | None:
    return session.execute(select(Message).where(
        col(Message.conversation_id) == conversation_id, col(Message.direction) == "in")
        .order_by(col(Message.id).desc()).limit(1)).scalars().first()


def outbound_row(conversation, text: str, *, subject: str, now: datetime, answering,
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


def _to_outbound(row: Row) -> Outbound:
    return Outbound(channel=row.channel, recipient=row.recipient, text=row.text, subject=row.subject,
                    message_id=row.external_id, in_reply_to=row.in_reply_to,
                    references=list(row.references), automatic=row.automatic,
                    language=row.language or "en")


def _send(batch: list[Row]) -> list[DeliveryResult]:
    """Each channel's rows through its plural send, one session per channel; results in
    the rows' order."""
    results: list[DeliveryResult | None] = [None] * len(batch)
    by_channel: dict[str, list[int]] = {}
    for i, row in enumerate(batch):
        by_channel.setdefault(row.channel, []).append(i)
    for channel, indexes in by_channel.items():
        try:
            sent = get_channel(channel).send_many([_to_outbound(batch[i]) for i in indexes])
        except Exception as exc:  # a channel bug must not lose the rows: retried, then failed
            log.exception("sending %d %s messages raised", len(indexes), channel)
            sent = [DeliveryResult(ok=False, detail=f"{type(exc).__name__}: {exc}")] * len(indexes)
        for i, result in zip(indexes, sent, strict=True):
            results[i] = result
    return results  # type: ignore[return-value]


def _record_results(session: Session, batch: list[Row], results: list[DeliveryResult]) -> None:
    """Statuses with one executemany, events with one insert, undeliverable addresses with one
    update: sent, back to the queue with backoff, or failed for good."""
    now = utcnow()
    events: list[dict] = []
    undeliverable: list[dict] = []
    for row, result in zip(batch, results, strict=True):
        if result.ok:
            row.status, row.processed_at, row.error = "sent", now, None
            events.append(_event("delivered", row, now, {}))
            continue
        row.error = result.detail[:2000]
        if result.permanent or row.attempts >= MAX_SEND_ATTEMPTS:
            row.status = "failed"
            events.append(_event("delivery_failed", row, now, {
                "error": result.detail[:300], "attempts": row.attempts, "permanent": result.permanent}))
            if result.permanent:
                undeliverable.append({"_channel": row.channel, "_address": row.recipient})
        else:
            # Back to the queue; claimed_at holds the time of the next attempt.
            row.status, row.claimed_at = "queued", now + _wait(result, row.attempts)
    rows.update_all(session, Message, batch, ("status", "processed_at", "error", "claimed_at"))
    if events:
        session.execute(insert(rows.table_of(Event)), events)
    if undeliverable:
        identity = rows.table_of(Identity)
        session.connection().execute(
            update(identity).where(identity.c.channel == bindparam("_channel"),
                                   identity.c.address == bindparam("_address"))
            .values(undeliverable=True), undeliverable)


# telegram: a channel that says how long to wait (Telegram's 429 retry_after) is obeyed
# rather than given our own backoff. Kept to this one helper on purpose.
def _wait(result: DeliveryResult, attempts: int) -> timedelta:
    return timedelta(seconds=result.retry_after) if result.retry_after is not None else backoff(attempts)


def _event(kind: str, row: Row, now: datetime, data: dict) -> dict:
    return {"conversation_id": row.conversation_id, "message_id": row.id, "kind": kind,
            "actor": "system", "at": now, "data": data}


def deliver_pending(engine=None) -> int:
    """Claim a batch of outbound rows, send it (one session per channel), record the outcomes
    in one transaction; returns how many were sent. Rings again while there is more."""
    settings = get_settings()
    engine = engine or get_engine()
    doorbell = get_doorbell()
    doorbell.answer("outbound")
    with session_scope(engine) as session:
        ids = claim(session, "out", DELIVER_BATCH, utcnow(), settings.claim_lease_seconds)
        batch = rows.load(session, Message, col(Message.id).in_(ids), order_by=col(Message.id)) if ids else []
    if not batch:
        return 0
    # Sent outside any transaction: a slow relay must not hold the database's locks.
    results = _send(batch)
    with session_scope(engine) as session:
        _record_results(session, batch, results)
    metrics.observe_delivery((row.channel, row.created_at) for row, result in zip(batch, results, strict=True)
                             if result.ok)
    sent = sum(result.ok for result in results)
    log.info("delivered %d of %d outbound messages", sent, len(batch))
    for row, result in zip(batch, results, strict=True):
        if not result.ok:
            log.info("message %s not sent (%s): %s", row.id, row.status, result.detail[:200],
                     extra=log_extra(row.id, row.conversation_id))
    if len(ids) == DELIVER_BATCH:
        doorbell.ring("outbound")
    return sent
