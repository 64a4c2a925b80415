"""Delivery receipts: the channel's acceptance of an outbound message, keyed by its
Message-ID, committed the moment it is known; and recovery, which marks a claimed row whose
receipt exists as sent instead of sending it again.

Receipts are committed by a thread of the sending worker (`ReceiptWriter`), so the commit
of one mail's receipt overlaps the start of the next mail's SMTP transaction; the channel
waits for it before it hands the next mail's data over (`wait`). On PostgreSQL those
commits do not wait for the WAL flush (synchronous_commit off, on this connection only): a
receipt committed so survives the worker's death and is lost only if the database server
crashes within a fraction of a second after it, which costs a duplicate, never a lost mail
(the row is still `sending`). Waiting for the flush on every mail tripled delivery's cost.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select
from sqlmodel import Session

from router import rows
from router.db import upsert_dialect_insert
from router.models import DeliveryReceipt, Event, Message
from router.rows import Row

log = logging.getLogger(__name__)


class ReceiptNotWritten(Exception):
    """The channel accepted a message but its receipt could not be committed: sending
    stops, and the rows wait for their lease to run out and for recovery."""


def receipt(row: Row, at: datetime, detail: str) -> dict:
    return {"channel": row.channel, "external_id": row.external_id, "message_id": row.id,
            "attempt": row.attempts, "accepted_at": at, "detail": detail[:300]}


def _insert(dialect: str):
    """An insert that leaves an existing receipt alone: the first acceptance is the fact."""
    from sqlalchemy.dialects import postgresql, sqlite

    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return make(rows.table_of(DeliveryReceipt)).on_conflict_do_nothing(index_elements=["channel", "external_id"])


class ReceiptWriter:
    """Commits receipts on its own thread and connection, each as soon as it comes (those
    that queue up while a commit runs go in the next one together)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cond = threading.Condition()
        self._todo: list[dict] = []
        self._uncommitted = 0
        self._error: BaseException | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def submit(self, values: dict) -> None:
        with self._cond:
            self._raise_if_failed()
            self._todo.append(values)
            self._uncommitted += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="receipts", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait(self, lag: int = 0) -> None:
        """Until at most `lag` submitted receipts are still uncommitted."""
        with self._cond:
            self._cond.wait_for(lambda: self._uncommitted <= lag or self._error is not None)
            self._raise_if_failed()

    def close(self) -> None:
        """Commit what is left and stop; ReceiptNotWritten when any receipt was not written."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._cond:
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise ReceiptNotWritten(f"a message was accepted but its receipt was not written: {self._error}") \
                from self._error

    def _run(self) -> None:
        try:
            with self.engine.connect() as conn:
                postgresql = conn.dialect.name == "postgresql"
                if postgresql:
                    # Autocommit: each insert is one round trip, not BEGIN, INSERT, COMMIT.
                    conn.execution_options(isolation_level="AUTOCOMMIT")
                    with conn.begin():
                        conn.exec_driver_sql("SET synchronous_commit TO OFF")
                try:
                    self._loop(conn)
                finally:
                    if postgresql:  # the pooled connection's next user gets durable commits
                        with conn.begin():
                            conn.exec_driver_sql("RESET synchronous_commit")
        except BaseException as exc:  # handed to the sending thread, which stops sending
            log.exception("writing delivery receipts failed")
            with self._cond:
                self._error = exc
                self._cond.notify_all()

    def _loop(self, conn: Connection) -> None:
        write = _write_with(conn)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._todo) or self._closed)
                if not self._todo:
                    return
                todo, self._todo = self._todo, []
            write(todo)
            with self._cond:
                self._uncommitted -= len(todo)
                self._cond.notify_all()


# On PostgreSQL the receipt goes straight to psycopg (autocommit, so each is committed as it
# is executed): SQLAlchemy's statement handling cost three times the CPU of the insert
# itself, once a mail, on the sending worker's cores.
_PG_INSERT = ("INSERT INTO delivery_receipt (channel, external_id, message_id, attempt, accepted_at, detail) "
              "VALUES (%(channel)s, %(external_id)s, %(message_id)s, %(attempt)s, %(accepted_at)s, %(detail)s) "
              "ON CONFLICT (channel, external_id) DO NOTHING")


def _write_with(conn: Connection) -> Callable[[list[dict]], None]:
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

        def write_pg(todo: list[dict]) -> None:
            if len(todo) == 1:
                cursor.execute(_PG_INSERT, todo[0])
            else:
                cursor.executemany(_PG_INSERT, todo)
        return write_pg
    statement = _insert(conn.dialect.name)

    def write(todo: list[dict]) -> None:
        with conn.begin():
            conn.execute(statement, todo)
    return write


def write_receipts(session: Session, batch: list[Row], accepted: dict[int, tuple[datetime, str]]) -> None:
    """Receipts for acceptances a channel reported only at the end of its batch (one that
    does not report each outcome as it comes), in the batch's own transaction."""
    if accepted:
        session.execute(upsert_dialect_insert(session)(rows.table_of(DeliveryReceipt))
                        .on_conflict_do_nothing(index_elements=["channel", "external_id"]),
                        [receipt(batch[i], at, detail) for i, (at, detail) in accepted.items()])
def settle_receipts(session: Session, batch: list[Row]) -> list[Row]:
    """Mark the claimed rows that already have a receipt as sent (their worker died between
    the channel's acceptance and its batch's commit) and return the others, to be sent."""
    if not batch:
        return batch
    receipts = rows.table_of(DeliveryReceipt)
    found = {(channel, external_id): at for channel, external_id, at in session.execute(
        select(receipts.c.channel, receipts.c.external_id, receipts.c.accepted_at)
        .where(receipts.c.channel.in_({row.channel for row in batch}),
               receipts.c.external_id.in_([row.external_id for row in batch])))}
    settled = [row for row in batch if (row.channel, row.external_id) in found]
    if not settled:
        return batch
    for row in settled:
        row.status, row.processed_at, row.error, row.claim_token = \
            "sent", found[(row.channel, row.external_id)], None, None
    rows.update_all(session, Message, settled, ("status", "processed_at", "error", "claim_token"))
    session.execute(insert(rows.table_of(Event)), [
        {"conversation_id": row.conversation_id, "message_id": row.id, "kind": "delivered", "actor": "system",
         "at": row.processed_at, "data": {"recovered": True}} for row in settled])
    log.info("%d outbound messages found accepted before their worker stopped; marked sent, not resent: %s",
             len(settled), [row.id for row in settled][:20])
    return [row for row in batch if (row.channel, row.external_id) not in found]

