"""A relay that is down for days, under a controlled clock: the mail is retried on the
documented backoff (30 s doubling to 30 min, each wait shortened by at most a fifth at random)
for at least 48 hours, then parked: never failed for good by an outage, listed by the API,
and delivered exactly once by `msgrouter replay --outbound ID` once the relay is back."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from sqlalchemy import select

from channels import email as email_channel
from channels.base import DeliveryResult
from cli_process import msgrouter
from conftest import reset_caches
from relays import Relay, message_ids
from router.delivery.outbox import deliver_pending
from router.delivery.retry import next_attempt
from router.queue import tick
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event, Identity, Message
from support import free_port, make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
# The README's promises, written out rather than taken from the code under test.
RETRY_WINDOW = timedelta(hours=48)
JITTER = 0.2


def documented_wait(attempt: int) -> float:
    return min(30 * 2 ** (attempt - 1), 1800)


def _mail_in(sender: str) -> Message:
    accepted = accept(email_channel.parse(make_email(sender=sender, text="Hello, what are the fees?").as_bytes()))
    drain_inbound()
    with session_scope() as session:
        conversation_id = session.get(Message, accepted.message_id).conversation_id
        return session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.direction == "out")).scalars().one()


def _row(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def _event_kinds(message_id: int) -> list[str]:
    with session_scope() as session:
        return list(session.execute(select(Event.kind).where(Event.message_id == message_id,
                                                             Event.kind.like("deliver%")).order_by(Event.id)).scalars())


def most_attempts() -> int:
    """How many attempts the documented backoff allows before the mail is parked: every wait
    as short as the jitter makes it, for the whole window and the last wait after it, and
    the attempt that parks. A mail still queued after that many was retried sooner than
    documented (a bound from the promise, not a guess: a run that breaks parking fails
    after ~130 attempts, a few seconds, not after 500)."""
    elapsed, attempts = 0.0, 1
    while elapsed < (RETRY_WINDOW + timedelta(seconds=documented_wait(99))).total_seconds():
        elapsed += documented_wait(attempts) * (1 - JITTER)
        attempts += 1
    return attempts + 1


def _retry_until_parked(message_id: int, clock) -> list[tuple[datetime, float]]:
    """Run delivery at every due time (and once a second before it, which must not try)
    until the mail leaves the queue; returns each attempt's time and the wait it was given."""
    schedule: list[tuple[datetime, float]] = []
    for _ in range(most_attempts()):
        now = datetime.now(UTC)
        deliver_pending()
        row = _row(message_id)
        assert row.attempts == len(schedule) + 1
        if row.status != "queued":
            schedule.append((now, 0.0))
            return schedule
        wait = (row.claimed_at - now).total_seconds()
        schedule.append((now, wait))
        clock.move_to(row.claimed_at - timedelta(seconds=1))
        deliver_pending()
        assert _row(message_id).attempts == row.attempts, f"tried before its backoff after attempt {row.attempts}"
        clock.move_to(row.claimed_at)
    raise AssertionError(f"still queued after {most_attempts()} attempts, more than the backoff allows in 48 hours")


def test_a_relay_down_for_days_is_retried_on_the_backoff_then_the_mail_is_parked(
        db_url, broker, monkeypatch, tmp_path, api):
    port = free_port()  # nothing listens there: the relay is down
    with time_machine.travel(START, tick=False) as clock:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(port))
        reset_caches()
        ack = _mail_in("ann@example.com")
        schedule = _retry_until_parked(ack.id, clock)

        waits = [wait for _, wait in schedule[:-1]]
        for attempt, wait in enumerate(waits, start=1):
            full = documented_wait(attempt)
            assert full * (1 - JITTER) <= wait <= full, f"attempt {attempt} waited {wait}s, documented {full}s"
        assert any(wait < documented_wait(n) for n, wait in enumerate(waits, start=1)), "no jitter at all"
        first, parked_at = schedule[0][0], schedule[-1][0]
        assert RETRY_WINDOW <= parked_at - first < RETRY_WINDOW + timedelta(seconds=1800), \
            "retried for at least 48 hours, and parked at the first failure after them"
        row = _row(ack.id)
        assert row.status == "parked" and "unreachable" in row.error
        assert _event_kinds(ack.id) == ["delivery_parked"], "parked, never failed"

        clock.shift(timedelta(days=3))
        assert deliver_pending() == 0 and _row(ack.id).attempts == len(schedule), "a parked mail is not retried"
        assert "rerung_outbound" not in tick.run()
    with session_scope() as session:
        identity = session.execute(select(Identity).where(Identity.address == "ann@example.com")).scalars().one()
        assert identity.undeliverable is False, "an outage says nothing about the address"

    base, auth = api
    listed = httpx.get(f"{base}/api/outbound", params={"status": "parked"}, headers=auth())
    assert listed.status_code == 200, listed.text
    assert [(m["id"], m["status"], m["attempts"]) for m in listed.json()] == [(ack.id, "parked", len(schedule))]
    assert listed.json()[0]["replay"] == f"msgrouter replay --outbound {ack.id}"
    conversation = httpx.get(f"{base}/api/conversations/{ack.conversation_id}", headers=auth()).json()
    assert [m["status"] for m in conversation["messages"] if m["id"] == ack.id] == ["parked"]

    broker.flushdb()  # the doorbells rung so far
    with Relay(port=port) as relay:  # back, where msgrouter points
        replayed = msgrouter("replay", "--outbound", str(ack.id), cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url,
                             MSGROUTER_RELAY_PORT=str(port))
        assert replayed.returncode == 0, replayed.stderr
        assert f"outbound message {ack.id}" in replayed.stdout
        assert broker.llen("msgrouter") == 1, "the replay rang the outbound doorbell"
        assert _row(ack.id).status == "queued"
        assert deliver_pending() == 1
        assert deliver_pending() == 0
    assert message_ids(relay.accepted) == {ack.external_id: 1}
    assert _row(ack.id).status == "sent"
    assert _event_kinds(ack.id) == ["delivery_parked", "delivery_replayed", "delivered"]
    again = msgrouter("replay", "--outbound", str(ack.id), cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url)
    assert again.returncode == 1 and "not a parked or failed outbound message" in again.stderr


def test_replay_needs_exactly_one_of_an_inbound_id_and_outbound(tmp_path, db_url):
    for args in ((), ("1", "--outbound", "2")):
        result = msgrouter("replay", *args, cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url)
        assert result.returncode == 2 and "--outbound ID" in result.stderr


def test_a_service_that_names_its_wait_is_retried_after_it_not_on_the_backoff():
    from config.settings import Settings

    settings, now = Settings(), START
    until = now + RETRY_WINDOW
    busy = DeliveryResult(ok=False, detail="429 Too Many Requests", retry_after=7.5)
    assert next_attempt(12, busy, until, now, settings, draw=0.5) == now + timedelta(seconds=7.5)
    hot = DeliveryResult(ok=False, detail="429", retry_after=0)
    assert next_attempt(1, hot, until, now, settings, draw=0.0) == now + timedelta(seconds=1), "never a busy loop"
    assert next_attempt(1, busy, until, until, settings, draw=0.0) is None, "the window still ends"
