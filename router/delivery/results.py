"""Recording a sent batch's outcomes in one transaction: sent, back to the queue for a retry,
parked when its retries ran out, or failed when the channel refused it for good (which also
marks the address undeliverable). Only rows the worker still holds are written: a worker
that lost its lease leaves the rows to the one that took them.
"""
from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session

from channels.base import DeliveryResult
from config.settings import get_settings
from router.clock import utcnow
from router.delivery.held import hold
from router.delivery.progress import held_ids
from router.delivery.receipts import write_receipts
from router.delivery.retry import next_attempt, retry_until
from router.storage import bulk, rows
from router.storage.models import Event, Identity, Message
from router.storage.rows import Row

EVENT_COLUMNS = ("conversation_id", "message_id", "kind", "actor", "at", "data")
WRITTEN = ("status", "processed_at", "error", "claimed_at", "retry_until", "claim_token")


def record_results(session: Session, batch: list[Row], results: list[DeliveryResult],
                   accepted: dict[int, tuple[datetime, str]], token: str) -> list[Row]:
    """Write each held row's outcome (one executemany, one insert of events, one update of
    undeliverable addresses); `accepted` are the receipts already committed while sending.
    Returns the rows written."""
    settings, now = get_settings(), utcnow()
    held = held_ids(session, [row.id for row in batch], token)
    draw = random.random()  # one jitter for the batch: it fails together, it returns together
    events: list[dict] = []
    undeliverable: list[dict] = []
    late: dict[int, tuple[datetime, str]] = {}
    written: list[Row] = []
    waiting: list[tuple[Row, DeliveryResult]] = []
    for i, (row, result) in enumerate(zip(batch, results, strict=True)):
        if row.id not in held:
            continue
        written.append(row)
        row.claim_token = None
        if i in accepted or result.ok:
            if i not in accepted:
                late[i] = (now, result.detail)
            row.status, row.processed_at, row.error = "sent", accepted.get(i, (now,))[0], None
            events.append(_event("delivered", row, now, {}))
            continue
        if result.hold:  # the channel takes it only once the customer writes again (router/delivery/held.py)
            waiting.append((row, result))
            continue
        row.error = result.detail[:2000]
        if result.permanent:
            row.status = "failed"
            events.append(_event("delivery_failed", row, now, {
                "error": result.detail[:300], "attempts": row.attempts, "permanent": True}))
            undeliverable.append({"_channel": row.channel, "_address": row.recipient})
            continue
        row.retry_until = retry_until(row.retry_until, now, settings)
        when = next_attempt(row.attempts, result, row.retry_until, now, settings, draw)
        if when is None:
            row.status = "parked"
            events.append(_event("delivery_parked", row, now, {
                "error": result.detail[:300], "attempts": row.attempts}))
        else:
            # Back to the queue; claimed_at holds the time of the next attempt.
            row.status, row.claimed_at = "queued", when
    if waiting:
        events += hold(session, waiting, now)
    write_receipts(session, batch, late)
    _write(session, written, token)
    if events:
        bulk.insert_many(session.connection(), rows.table_of(Event),
                         {name: [event[name] for event in events] for name in EVENT_COLUMNS})
    if undeliverable:
        identity = rows.table_of(Identity)
        session.connection().execute(
            update(identity).where(identity.c.channel == bindparam("_channel"),
                                   identity.c.address == bindparam("_address"))
            .values(undeliverable=True), undeliverable)
    return written


def _write(session: Session, written: list[Row], token: str) -> None:
    if not written:
        return
    bulk.update_many(session.connection(), rows.table_of(Message),
                     {name: [getattr(row, name) for row in written] for name in WRITTEN},
                     {"id": [row.id for row in written], "claim_token": [token] * len(written)})


def _event(kind: str, row: Row, now: datetime, data: dict) -> dict:
    return {"conversation_id": row.conversation_id, "message_id": row.id, "kind": kind,
            "actor": "system", "at": now, "data": data}
