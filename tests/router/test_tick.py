"""tick makes lost doorbells harmless: it rings again for outbound mail that is due and for
inbound messages left pending longer than the re-ring threshold, observed in Redis (the
doorbell's flag and the queued task) and by the work then getting done."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from channels import email as email_channel
from config.settings import Settings, get_settings
from conftest import reset_caches
from relays import Relay, message_ids
from router.delivery.outbox import deliver_pending
from router.queue import tick
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
RERING_AFTER = Settings.model_fields["rering_after_seconds"].default  # the real default


def _queued_tasks(broker) -> list[str]:
    """Names of the Celery tasks waiting in the tests' Redis queue."""
    return [json.loads(raw)["headers"]["task"] for raw in broker.lrange("msgrouter", 0, -1)]


def _rung(broker, kind: str) -> bool:
    return broker.exists(f"msgrouter:doorbell:{kind}") == 1


def _mail_in(sender: str) -> int:
    accepted = accept(email_channel.parse(make_email(
        sender=sender, text="Hello, which networks do you support for USDT?").as_bytes()))
    return accepted.message_id


def _acknowledgement(message_id: int) -> Message:
    with session_scope() as session:
        conversation_id = session.get(Message, message_id).conversation_id
        return session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.direction == "out")).scalars().one()


def _status(message_id: int) -> str:
    with session_scope() as session:
        return session.get(Message, message_id).status


def test_tick_rings_for_outbound_mail_whose_doorbell_was_lost(db_url, broker, sink):
    message_id = _mail_in("fay@example.com")
    drain_inbound()
    ack = _acknowledgement(message_id)
    broker.flushdb()  # the deliver task and its doorbell flag are lost
    assert not _rung(broker, "outbound") and _queued_tasks(broker) == []

    assert tick.run().get("rerung_outbound") == 1
    assert _rung(broker, "outbound")
    assert _queued_tasks(broker) == ["msgrouter.deliver"]
    assert deliver_pending() == 1
    assert message_ids([raw for _, _, raw in sink.messages]) == {ack.external_id: 1}

    broker.flushdb()
    assert "rerung_outbound" not in tick.run(), "nothing is left to send"
    assert not _rung(broker, "outbound")


def test_tick_lets_a_refused_mail_wait_out_its_backoff(db_url, broker, monkeypatch):
    with Relay("451 4.3.0 try later") as relay, time_machine.travel(START, tick=False) as clock:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        _mail_in("gus@example.com")
        drain_inbound()
        assert deliver_pending() == 0 and relay.attempts == 1
        broker.flushdb()
        clock.shift(10)  # inside the first 30 s backoff
        assert "rerung_outbound" not in tick.run()
        assert not _rung(broker, "outbound")
        clock.shift(30)
        assert tick.run().get("rerung_outbound") == 1
        assert _queued_tasks(broker) == ["msgrouter.deliver"]


def _pending_after(broker, monkeypatch, age: timedelta):
    """A message accepted whose drain task was lost, and tick run `age` later."""
    monkeypatch.delenv("MSGROUTER_RERING_AFTER_SECONDS", raising=False)
    reset_caches()
    assert get_settings().rering_after_seconds == RERING_AFTER
    with time_machine.travel(START, tick=False) as clock:
        message_id = _mail_in("hal@example.com")
        broker.flushdb()  # the drain task and its doorbell flag are lost
        clock.shift(age)
        done = tick.run()
    return message_id, done


def test_tick_leaves_a_message_younger_than_the_threshold_alone(db_url, broker, monkeypatch):
    message_id, done = _pending_after(broker, monkeypatch, timedelta(seconds=RERING_AFTER - 1))
    assert "rerung_inbound" not in done
    assert not _rung(broker, "inbound") and _queued_tasks(broker) == []
    assert _status(message_id) == "pending"


def test_tick_rings_for_a_message_older_than_the_threshold(db_url, broker, monkeypatch):
    message_id, done = _pending_after(broker, monkeypatch, timedelta(seconds=RERING_AFTER + 1))
    assert done.get("rerung_inbound") == 1
    assert _rung(broker, "inbound")
    assert _queued_tasks(broker) == ["msgrouter.drain"]
    drain_inbound()  # what the rung task does
    assert _status(message_id) == "done"
