"""Nothing accepted is lost: a worker killed with SIGKILL mid-batch, or a flushed Redis,
only delays work; the next tick finds the rows and the work completes exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from channels.base import Inbound
from router.queue.intake import accept
from router.storage.db import read_scope, session_scope
from router.storage.models import Conversation, Event, Message
from support import wait_for


def _inbound(i: int) -> Inbound:
    return Inbound(channel="email", external_id=f"<load-{i}@example.com>", sender=f"user{i}@example.com",
                   subject=f"Question {i}", text=f"Hello, question number {i}: what are the fees for sending BTC?")


def _status_counts() -> dict[str, int]:
    with read_scope() as session:
        return dict(session.execute(select(Message.status, func.count()).where(Message.direction == "in")
                                    .group_by(Message.status)).all())


def _outbound_waiting() -> int:
    with read_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "out", Message.status.in_(("queued", "sending")))).scalar_one()


def _assert_each_processed_once(n: int) -> None:
    with session_scope() as session:
        assert _status_counts() == {"done": n}
        assert session.execute(select(func.count()).select_from(Conversation)).scalar() == n
        acks = session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "out", Message.automatic.is_(True))).scalar()
        assert acks == n, "one acknowledgement per conversation, no duplicates"
        received = session.execute(select(func.count()).select_from(Event).where(Event.kind == "received")).scalar()
        assert received == n


def _mid_batch() -> dict[str, int] | None:
    """The status counts when some rows are done and others claimed but unfinished."""
    counts = _status_counts()
    return counts if counts.get("processing") and counts.get("done") else None


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "router.cli", "worker", "--pool", "threads",
                             "--concurrency", "2", "--without-heartbeat", "--without-mingle",
                             "--without-gossip"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def test_worker_killed_mid_batch_loses_nothing(db_url, broker, monkeypatch, sink):
    n = 600
    env = {**os.environ, "MSGROUTER_DRAIN_BATCH": "50", "MSGROUTER_CLAIM_LEASE_SECONDS": "2"}
    for i in range(n):
        accept(_inbound(i))
    victim = _start_worker(env)
    try:
        # Kill it the moment it is inside a batch: some rows done, some claimed and unfinished.
        at_kill = wait_for(_mid_batch,
                           timeout=60, interval=0.002, what="the worker to be mid-batch")
    finally:
        os.killpg(victim.pid, signal.SIGKILL)  # also when waiting failed: never leave it running
        victim.wait(10)
    assert at_kill.get("processing", 0) > 0
    left = _status_counts()
    assert left.get("done", 0) < n, "the worker must have died before finishing"

    monkeypatch.setenv("MSGROUTER_CLAIM_LEASE_SECONDS", "2")
    from config.settings import get_settings
    from router.queue import tick

    get_settings.cache_clear()
    time.sleep(2.1)  # the dead worker's lease runs out
    successor = _start_worker(env)
    try:
        tick.run()  # finds the orphaned claims and rings
        wait_for(lambda: _status_counts() == {"done": n}, timeout=120, what="all messages done")
    finally:
        os.killpg(successor.pid, signal.SIGTERM)
        successor.wait(20)
    _assert_each_processed_once(n)


def test_flushed_redis_loses_nothing(db_url, broker, monkeypatch, sink):
    n = 200
    for i in range(n):
        accept(_inbound(i))  # each rings the doorbell: drain tasks now sit in Redis
    assert broker.llen("msgrouter") >= 1
    broker.flushdb()  # every queued task and doorbell flag is gone
    assert broker.llen("msgrouter") == 0

    from celery.contrib.testing.worker import start_worker

    from config.settings import get_settings
    from router.queue import tick
    from workers.app import app

    monkeypatch.setenv("MSGROUTER_RERING_AFTER_SECONDS", "0")
    get_settings.cache_clear()
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30):
        time.sleep(0.5)
        assert _status_counts() == {"pending": n}, "nothing rang: the work waits in the database"
        tick.run()
        wait_for(lambda: _status_counts() == {"done": n}, timeout=120, what="all messages done")
        # The acknowledgements too, so no delivery is still under way when the worker stops
        # (one left running sent them into the next test's mailbox).
        wait_for(lambda: _outbound_waiting() == 0, timeout=120, what="every acknowledgement sent")
    _assert_each_processed_once(n)
