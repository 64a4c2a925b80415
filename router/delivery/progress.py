"""What a delivering worker writes while its batch goes out: the renewed lease on the rows it
still holds, and a receipt for each message the channel accepted (`router.delivery.receipts`).

The lease is renewed between messages every third of its length, so a slow relay never
lets it run out under a live worker; a row whose claim another worker took meanwhile (its
token changed: this worker stalled for longer than the lease) is not sent, and this
worker's results are not written over it. A message's receipt is committed as the channel
reports its acceptance, before the channel starts the next message, so a worker that dies
mid-batch leaves at most one accepted message without a receipt: the one in hand.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from channels.base import DeliveryResult
from router.clock import utcnow
from router.delivery.receipts import ReceiptLog, receipt
from router.storage import rows
from router.storage.models import Message
from router.storage.rows import Row

log = logging.getLogger(__name__)


class Progress:
    """The `channels.base.SendProgress` of one claimed batch."""

    def __init__(self, engine: Engine, batch: list[Row], token: str, lease_seconds: int) -> None:
        self.engine, self.batch, self.token = engine, batch, token
        self.renew_every = timedelta(seconds=lease_seconds / 3)
        self.renewed_at = utcnow()
        self.held = {row.id for row in batch}
        # batch index -> (when, the channel's answer): each one's receipt is committed
        self.accepted: dict[int, tuple[datetime, str]] = {}
        self.receipts = ReceiptLog(engine)

    def for_rows(self, indexes: list[int]) -> _Slice:
        """This progress as one channel sees it: its indexes count within its own list."""
        return _Slice(self, indexes)

    def proceed(self, index: int) -> bool:
        now = utcnow()
        if now - self.renewed_at >= self.renew_every:
            self._renew(now)
        return self.batch[index].id in self.held

    def outcome(self, index: int, result: DeliveryResult) -> None:
        if result.ok:  # failures wait for the batch's one transaction
            now = utcnow()
            self.receipts.write(receipt(self.batch[index], now, result.detail))
            self.accepted[index] = (now, result.detail)

    def finish(self) -> None:
        """The receipts' connection back to the pool."""
        self.receipts.close()

    def _renew(self, now: datetime) -> None:
        """Push the lease forward on the rows still ours; the rest are no longer sent."""
        table = rows.table_of(Message)
        with self.engine.begin() as conn:
            kept = set(conn.execute(
                update(table).where(table.c.id.in_(sorted(self.held)), table.c.claim_token == self.token,
                                    table.c.status == "sending")
                .values(claimed_at=now).returning(table.c.id)).scalars())
        lost = self.held - kept
        if lost:
            log.warning("the claim on %d outbound messages was taken over; not sending them: %s",
                        len(lost), sorted(lost)[:20])
        self.held, self.renewed_at = kept, now


class _Slice:
    def __init__(self, progress: Progress, indexes: list[int]) -> None:
        self.progress, self.indexes = progress, indexes

    def proceed(self, index: int) -> bool:
        return self.progress.proceed(self.indexes[index])

    def outcome(self, index: int, result: DeliveryResult) -> None:
        self.progress.outcome(self.indexes[index], result)


def held_ids(session: Session, ids: list[int], token: str) -> set[int]:
    """The rows of a batch still claimed with `token`, locked for the rest of the transaction
    on PostgreSQL (SQLite's write transaction already excludes other writers)."""
    query = select(col(Message.id)).where(col(Message.id).in_(ids), col(Message.claim_token) == token,
                                          col(Message.status) == "sending")
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return set(session.execute(query).scalars())
