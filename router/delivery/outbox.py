"""The outbox: every message we send is a row first, then a delivery through its channel.

Replies and acknowledgements are queued in the same transaction as the change that
caused them and sent after commit by the `deliver` task, a claimed batch at a time: one
channel session for the batch, each acceptance committed as a receipt the moment it is
known (`router.delivery.progress`), the claim's lease renewed while the batch goes out, and
the outcomes written in one transaction (`router.delivery.results`), with backed-off retries
for 48 hours and then a parked message an operator replays. A row that was sent, or whose
receipt exists, is never sent again, so a retried task or a dead worker cannot send a
delivered reply twice.
"""
from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from channels import get_channel
from channels.base import DeliveryResult, Outbound
from config.settings import get_settings
from router import metrics
from router.clock import utcnow
from router.delivery.progress import Progress
from router.delivery.receipts import ReceiptNotWritten, settle_receipts
from router.delivery.results import record_results
from router.logs import log_extra
from router.queue.claims import claim
from router.queue.doorbell import get_doorbell
from router.storage import rows
from router.storage.db import get_engine, session_scope
from router.storage.models import Conversation, Message
from router.storage.rows import Row

log = logging.getLogger(__name__)

DELIVER_BATCH = 50
_MESSAGE_ID = re.compile(r"^<[^<>\s]+>$")


def _last_inbound(session: Session, conversation_id: int | None) -> Message | None:
    return session.execute(select(Message).where(
        col(Message.conversation_id) == conversation_id, col(Message.direction) == "in")
        .order_by(col(Message.id).desc()).limit(1)).scalars().first()


def outbound_row(conversation, text: str, *, subject: str, now: datetime, answering,
                 automatic: bool = False, author_id: int | None = None, choices: list[str] | None = None) -> Row:
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
        choices=list(choices or []), created_at=now)


def queue_outbound(session: Session, conversation: Conversation, text: str, *, subject: str,
                   now: datetime, author_id: int | None = None, automatic: bool = False,
                   choices: list[str] | None = None) -> Row:
    """Insert one outbound message answering the conversation's last customer message; the
    caller rings the `outbound` doorbell after commit."""
    row = outbound_row(conversation, text, subject=subject, now=now, author_id=author_id,
                       automatic=automatic, answering=_last_inbound(session, conversation.id),
                       choices=choices)
    session.flush()  # the conversation's own pending changes first
    rows.insert_all(session, Message, [row])
    return row


def _to_outbound(row: Row) -> Outbound:
    return Outbound(channel=row.channel, recipient=row.recipient, text=row.text, subject=row.subject,
                    message_id=row.external_id, in_reply_to=row.in_reply_to,
                    references=list(row.references), automatic=row.automatic,
                    language=row.language or "en", choices=list(row.choices or []))


def _send(batch: list[Row], progress: Progress) -> list[DeliveryResult]:
    """Each channel's rows through its plural send, one session per channel; results in
    the rows' order."""
    results: list[DeliveryResult | None] = [None] * len(batch)
    by_channel: dict[str, list[int]] = {}
    for i, row in enumerate(batch):
        by_channel.setdefault(row.channel, []).append(i)
    for channel, indexes in by_channel.items():
        try:
            sent = get_channel(channel).send_many([_to_outbound(batch[i]) for i in indexes],
                                                  progress=progress.for_rows(indexes))
        except ReceiptNotWritten:
            raise  # the database is gone: the rows wait for their lease and for recovery
        except Exception as exc:  # a channel bug must not lose the rows: retried, then parked
            log.exception("sending %d %s messages raised", len(indexes), channel)
            sent = [DeliveryResult(ok=False, detail=f"{type(exc).__name__}: {exc}")] * len(indexes)
        for i, result in zip(indexes, sent, strict=True):
            results[i] = result
    return results  # type: ignore[return-value]


def deliver_pending(engine=None) -> int:
    """Claim a batch of outbound rows, send it (one session per channel, the lease renewed
    and each acceptance committed on the way), record the outcomes in one transaction;
    returns how many were sent. Rings again while there is more."""
    settings = get_settings()
    engine = engine or get_engine()
    doorbell = get_doorbell()
    doorbell.answer("outbound")
    token = uuid.uuid4().hex
    with session_scope(engine) as session:
        ids = claim(session, "out", DELIVER_BATCH, utcnow(), settings.claim_lease_seconds, token=token)
        claimed = rows.load(session, Message, col(Message.id).in_(ids), order_by=col(Message.id)) if ids else []
        batch = settle_receipts(session, claimed)
    if len(ids) == DELIVER_BATCH:
        doorbell.ring("outbound")  # more may wait: another worker can start on it meanwhile
    if not batch:
        return 0
    # Sent outside any transaction: a slow relay must not hold the database's locks.
    progress = Progress(engine, batch, token, settings.claim_lease_seconds)
    try:
        results = _send(batch, progress)
    finally:
        progress.finish()  # every receipt committed before the batch's outcomes are
    with session_scope(engine) as session:
        written = record_results(session, batch, results, progress.accepted, token)
    metrics.observe_delivery((row.channel, row.created_at) for row in written if row.status == "sent")
    sent = sum(row.status == "sent" for row in written)
    log.info("delivered %d of %d outbound messages", sent, len(batch))
    for row in written:
        if row.status != "sent":
            log.info("message %s not sent (%s): %s", row.id, row.status, (row.error or "")[:200],
                     extra=log_extra(row.id, row.conversation_id))
    if len(written) < len(batch):
        log.warning("%d outbound messages of this batch were taken over by another worker",
                    len(batch) - len(written))
    return sent
