"""Delivery receipts: the channel's acceptance of an outbound message, keyed by its
Message-ID, committed the moment it is known; and recovery, which marks a claimed row whose
receipt exists as sent instead of sending it again.

The sending thread commits each receipt as the channel reports the acceptance, before the
channel starts the next mail (`ReceiptLog`), so at most the mail in hand is ever accepted
and unrecorded. (A writer thread overlapping the commit with the next mail's MAIL and RCPT
was tried; on the loaded 2-core host it measured no faster, and it cost a thread and two
thread switches a mail.) On PostgreSQL those commits do not wait for the WAL flush
(synchronous_commit off, on this connection only): a receipt committed so survives the
worker's death and is lost only if the database server crashes within a fraction of a
second after it, which costs a duplicate, never a lost mail (the row is still `sending`).
Waiting for the flush made each receipt ten times slower here (3 ms against 0.3 ms).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select
from sqlmodel import Session

from router.storage import bulk, rows
from router.storage.db import sqlite_write_turn, upsert_dialect_insert
from router.storage.models import DeliveryReceipt, Event, Message
from router.storage.rows import Row

log = logging.getLogger(__name__)


class ReceiptNotWritten(Exception):
    """The channel accepted a message but its receipt could not be committed: sending
    stops, and the rows wait for their lease to run out and for recovery."""


RECEIPT_COLUMNS = ("channel", "external_id", "message_id", "attempt", "accepted_at", "detail")


def receipt(row: Row, at: datetime, detail: str) -> dict:
    return {"channel": row.channel, "external_id": row.external_id, "message_id": row.id,
            "attempt": row.attempts, "accepted_at": at, "detail": detail[:300]}


def _insert(dialect: str):
    """An insert that leaves an existing receipt alone: the first acceptance is the fact."""
    from sqlalchemy.dialects import postgresql, sqlite

    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return make(rows.table_of(DeliveryReceipt)).on_conflict_do_nothing(index_elements=["channel", "external_id"])


class ReceiptLog:
    """Commits each receipt on the sending thread, on one connection held for the batch (no
    pool checkout, and no PostgreSQL pre-ping, per mail), before the channel goes on to the
    next mail."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._write: Callable[[dict], None] | None = None

    def write(self, values: dict) -> None:
        try:
            if self._write is None:
                self._conn = self.engine.connect()
                self._conn.info["msgrouter_role"] = "receipts"  # whose statements these are
                self._write = _writer(self._conn)
            self._write(values)
        except Exception as exc:
            raise ReceiptNotWritten(f"message {values['message_id']} was accepted but its receipt "
                                    f"was not written: {exc}") from exc

    def close(self) -> None:
        conn, self._conn, self._write = self._conn, None, None
        if conn is None:
            return
        conn.info.pop("msgrouter_role", None)
        try:
            if conn.dialect.name == "postgresql" and not conn.invalidated:
                with conn.begin():  # the pooled connection's next user gets durable commits
                    conn.exec_driver_sql("RESET synchronous_commit")
        except Exception as exc:  # noqa: BLE001 - every receipt is already written or reported
            # Never back to the pool with commits that do not wait for the flush.
            log.warning("receipts connection not reset (%s); discarded", exc)
            conn.invalidate()
        finally:
            conn.close()


# On PostgreSQL the receipt goes straight to psycopg in autocommit (one round trip, not BEGIN,
# INSERT, COMMIT): SQLAlchemy's statement handling cost three times the CPU of the insert
# itself, once a mail.
_PG_INSERT = ("INSERT INTO delivery_receipt (channel, external_id, message_id, attempt, accepted_at, detail) "
              "VALUES (%(channel)s, %(external_id)s, %(message_id)s, %(attempt)s, %(accepted_at)s, %(detail)s) "
              "ON CONFLICT (channel, external_id) DO NOTHING")


def _writer(conn: Connection) -> Callable[[dict], None]:
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT")
        with conn.begin():
            conn.exec_driver_sql("SET synchronous_commit TO OFF")
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return lambda values: cursor.execute(_PG_INSERT, values)
    return _sqlite_writer(conn)


def _sqlite_writer(conn: Connection) -> Callable[[dict], None]:
    """SQLite's receipt as one INSERT on the driver's connection, which `router.storage.db`
    leaves in autocommit: the statement is its own transaction, committed when it returns,
    in this thread's turn among the process's writers. Through SQLAlchemy's begin, execute
    and commit it cost twice the CPU (58 µs a receipt against 30); as BEGIN IMMEDIATE,
    INSERT, COMMIT on the driver it held the write lock for 14% of a bench/throughput.py
    run, as one statement for 8-10%: embedded, every turn of that lock is the desk's."""
    compiled = bulk.compiled_once(conn.dialect, ("receipt",), lambda: _insert("sqlite"), list(RECEIPT_COLUMNS))
    engine, cursor = conn.engine, conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def write(values: dict) -> None:
        params = compiled.row(values)
        with sqlite_write_turn(engine):
            cursor.execute(compiled.sql, params)
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

