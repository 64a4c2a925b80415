"""The benchmark's view of msgrouter's database, from outside its processes: how far the
measured messages have got, and when each was accepted and processed.

It reads with a plain engine (never msgrouter's, whose SQLite transactions take the write
lock), and counts only rows newer than a baseline id, so warm-up rows never count.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import create_engine, func, select

from router.storage.models import Message

POLL_SECONDS = 0.02


@dataclass
class Progress:
    inbound_done: int = 0
    inbound_failed: int = 0
    outbound_sent: int = 0
    outbound_failed: int = 0
    outbound_waiting: int = 0  # queued or sending: not yet handed to the sink

    def finished(self, n: int) -> bool:
        return self.inbound_done + self.inbound_failed >= n and self.outbound_waiting == 0


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive UTC, PostgreSQL aware datetimes.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Watch:
    def __init__(self, url: str) -> None:
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.engine = create_engine(url, pool_size=1)

    def baseline(self) -> int:
        """The highest message id so far: the measured messages are the ones after it."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(Message.id))).scalar() or 0

    def progress(self, since: int) -> Progress:
        stmt = select(Message.direction, Message.status, func.count()).where(Message.id > since) \
            .group_by(Message.direction, Message.status)
        seen = Progress()
        with self.engine.connect() as conn:
            for direction, status, count in conn.execute(stmt):
                if direction == "in" and status in ("done", "failed"):
                    setattr(seen, f"inbound_{status}", count)
                elif direction == "out" and status in ("sent", "failed"):
                    setattr(seen, f"outbound_{status}", count)
                elif direction == "out":
                    seen.outbound_waiting += count
        return seen

    def wait_finished(self, since: int, n: int, timeout: float, on_poll=None) -> Progress:
        """Poll until the `n` inbound messages after `since` are done (or failed) and every
        acknowledgement they caused has been delivered (or given up)."""
        deadline = time.perf_counter() + timeout
        while True:
            if on_poll:
                on_poll()
            seen = self.progress(since)
            if seen.finished(n):
                return seen
            if time.perf_counter() > deadline:
                raise TimeoutError(f"not finished after {timeout:.0f} s: {seen}")
            time.sleep(POLL_SECONDS)

    def done_ids(self, since: int) -> list[int]:
        stmt = select(Message.id).where(Message.direction == "in", Message.status == "done",
                                        Message.id > since)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def times(self, since: int) -> dict[int, tuple[datetime, datetime]]:
        """Each measured done message's created_at (accepted: inserted by intake) and
        processed_at (the pipeline's clock for the batch that routed and assigned it)."""
        stmt = select(Message.id, Message.created_at, Message.processed_at).where(
            Message.direction == "in", Message.status == "done", Message.id > since)
        with self.engine.connect() as conn:
            return {i: (_utc(c), _utc(p)) for i, c, p in conn.execute(stmt)}

    def close(self) -> None:
        self.engine.dispose()


class SeenDone:
    """Polls, in a thread, for measured messages that became done, and notes the wall
    clock when each was first seen committed (at most one poll interval late)."""

    def __init__(self, watch: Watch, since: int) -> None:
        self.watch, self.since = watch, since
        self.first_seen: dict[int, datetime] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            ids = self.watch.done_ids(self.since)
            now = datetime.now(UTC)  # after the read: never earlier than the commit
            for message_id in ids:
                self.first_seen.setdefault(message_id, now)
            self._stop.wait(POLL_SECONDS)

    def wait_for(self, ids, timeout: float = 5.0) -> None:
        """Until the poller has seen every one of `ids` (they are committed already)."""
        deadline = time.perf_counter() + timeout
        while not set(ids) <= self.first_seen.keys() and time.perf_counter() < deadline:
            time.sleep(POLL_SECONDS)

    def __enter__(self) -> SeenDone:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
