"""The outbound doorbell as delivery uses it, observed in Redis (the deliver tasks queued):
a delivery answers the doorbell as it starts, so a ring for mail committed while it runs
is heard and not coalesced into the task already running; and a delivery that claimed a
full batch (the README's 50) rings again for the rest, while one that claimed less does
not."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from channels import email as email_channel
from conftest import reset_caches
from router.delivery.outbox import deliver_pending
from router.queue.doorbell import get_doorbell
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import free_port, make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
BATCH = 50  # "A delivering worker claims up to 50 rows" (README, Outbound delivery)


def _queued_tasks(broker) -> list[str]:
    """Names of the Celery tasks waiting in the tests' Redis queue."""
    return [json.loads(raw)["headers"]["task"] for raw in broker.lrange("msgrouter", 0, -1)]


def _tried() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "out", Message.attempts > 0)).scalar_one()


def test_a_ring_while_delivery_runs_is_heard(db_url, broker):
    doorbell = get_doorbell()
    doorbell.ring("outbound")
    doorbell.ring("outbound")  # coalesced: a deliver task is already waiting
    assert _queued_tasks(broker) == ["msgrouter.deliver"]
    broker.delete("msgrouter")  # a worker took that task ...
    assert deliver_pending() == 0  # ... and runs it
    doorbell.ring("outbound")  # mail committed meanwhile rings
    assert _queued_tasks(broker) == ["msgrouter.deliver"], "the ring after delivery started was dropped"


def test_a_full_batch_rings_for_the_rest_and_a_partial_one_does_not(db_url, broker, monkeypatch):
    monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(free_port()))  # the relay is down: nothing is sent
    reset_caches()
    with time_machine.travel(START, tick=False):
        for i in range(BATCH + 1):
            accept(email_channel.parse(make_email(sender=f"user{i}@example.com",
                                                  text=f"Hello, question {i}: what are the fees?").as_bytes()))
        drain_inbound()
        broker.flushdb()  # the rings so far
        deliver_pending()
        assert _tried() == BATCH
        assert _queued_tasks(broker) == ["msgrouter.deliver"], "a full batch rings for the rest"
        broker.flushdb()
        deliver_pending()
        assert _tried() == BATCH + 1
        assert _queued_tasks(broker) == [], "the last, partial batch rings for nothing"
