"""The outbox against real SMTP relays: transient refusals back off (30 s, 1 min, 2 min, ...
capped at 30 min, less up to a fifth of each at random) and are never failed for good by it
(parking after 48 hours is tests/router/test_outbox_outage.py), a permanent refusal marks
the address undeliverable, and no mail is ever sent twice, however often or concurrently
delivery runs."""
from __future__ import annotations

import threading
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from channels import email as email_channel
from config.settings import Settings
from conftest import reset_caches
from relays import Relay, message_ids
from router.delivery.outbox import deliver_pending
from router.delivery.retry import backoff
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event, Identity, Message
from support import free_port, make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
# The README's schedule, written out rather than taken from the code under test.
DOCUMENTED_WAITS = [min(30 * 2 ** k, 1800) for k in range(12)]
ATTEMPTS_WATCHED = 8  # past the cap, where the wait stops growing


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch):
    """The exact schedule: the jitter's own bounds are pinned in test_outbox_outage.py."""
    monkeypatch.setenv("MSGROUTER_DELIVERY_BACKOFF_JITTER", "0")


def _point_relay(monkeypatch, port: int) -> None:
    monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(port))
    reset_caches()


def _mail_in(sender: str, text: str = "Hello, what are the fees for sending BTC?") -> Message:
    """A customer's mail through intake and drain; returns the acknowledgement queued for them."""
    accepted = accept(email_channel.parse(make_email(sender=sender, text=text).as_bytes()))
    drain_inbound()
    with session_scope() as session:
        conversation_id = session.get(Message, accepted.message_id).conversation_id
        return session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.direction == "out")).scalars().one()


def _row(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def _events(message_id: int, kind: str) -> list[Event]:
    with session_scope() as session:
        return list(session.execute(select(Event).where(Event.message_id == message_id,
                                                        Event.kind == kind)).scalars())


def test_backoff_doubles_from_thirty_seconds_up_to_thirty_minutes():
    settings = Settings()
    assert [backoff(n, settings) for n in range(1, 13)] == [timedelta(seconds=s) for s in DOCUMENTED_WAITS]


def test_transient_refusals_wait_out_the_backoff_and_are_never_failed_for_it(db_url, broker, monkeypatch):
    with Relay("451 4.3.0 mailbox busy, try later") as relay, \
            time_machine.travel(START, tick=False) as clock:
        _point_relay(monkeypatch, relay.port)
        ack = _mail_in("ann@example.com")
        for attempt in range(1, ATTEMPTS_WATCHED + 1):
            assert deliver_pending() == 0
            row = _row(ack.id)
            assert (row.status, relay.attempts) == ("queued", attempt)
            assert "451" in row.error
            wait = DOCUMENTED_WAITS[attempt - 1]
            clock.shift(wait - 1)
            deliver_pending()
            assert relay.attempts == attempt, f"retried before the {wait}s backoff after attempt {attempt}"
            clock.shift(1)
        assert _events(ack.id, "delivery_failed") == []
    with session_scope() as session:
        identity = session.execute(select(Identity).where(Identity.address == "ann@example.com")).scalars().one()
        assert identity.undeliverable is False, "a busy relay says nothing about the address"


@pytest.mark.parametrize("outage", ["relay down", "421 at data"])
def test_relay_that_comes_back_delivers_the_mail_exactly_once(db_url, broker, monkeypatch, outage):
    relay = Relay("421 4.3.2 service shutting down", port=free_port())
    with ExitStack() as running, time_machine.travel(START, tick=False) as clock:
        _point_relay(monkeypatch, relay.port)
        if outage == "421 at data":
            running.enter_context(relay)
        ack = _mail_in("carl@example.com")
        assert deliver_pending() == 0  # nothing listens, or the relay answers 421
        row = _row(ack.id)
        assert row.status == "queued" and ("421" in row.error or "unreachable" in row.error)
        relay.reply = "250 OK"
        if outage == "relay down":
            running.enter_context(relay)  # up again, on the port msgrouter points at
        clock.shift(DOCUMENTED_WAITS[0])
        assert deliver_pending() == 1
        for _ in range(3):  # later runs, past any lease or backoff, find nothing to send
            clock.shift(timedelta(hours=1))
            assert deliver_pending() == 0
    assert message_ids(relay.accepted) == {ack.external_id: 1}
    assert _row(ack.id).status == "sent"
    assert len(_events(ack.id, "delivered")) == 1


def test_permanent_refusal_marks_the_address_undeliverable_and_stops(db_url, broker, monkeypatch):
    with Relay("550 5.1.1 no such user here") as relay, time_machine.travel(START, tick=False) as clock:
        _point_relay(monkeypatch, relay.port)
        ack = _mail_in("Dora.Lee@Example.com")
        assert deliver_pending() == 0
        clock.shift(timedelta(days=1))
        deliver_pending()
        assert relay.attempts == 1, "a permanent refusal is not retried"
    assert _row(ack.id).status == "failed"
    [failed] = _events(ack.id, "delivery_failed")
    assert failed.data["permanent"] is True and "550" in failed.data["error"]
    with session_scope() as session:
        identities = session.execute(select(Identity.address, Identity.undeliverable)).all()
    assert [tuple(i) for i in identities] == [("dora.lee@example.com", True)]


def test_a_sent_mail_is_not_sent_again_when_delivery_runs_later(db_url, broker, sink):
    lease = Settings.model_fields["claim_lease_seconds"].default
    with time_machine.travel(START, tick=False) as clock:
        ack = _mail_in("erin@example.com")
        assert deliver_pending() == 1
        for wait in (lease + 1, 3600, 86400):  # past the claim lease, where lost claims are retaken
            clock.shift(wait)
            assert deliver_pending() == 0
    assert message_ids([raw for _, _, raw in sink.messages]) == {ack.external_id: 1}


def _deliver_concurrently(threads: int = 8, rounds: int = 3) -> None:
    """deliver_pending from several threads at once, each several times, as racing workers do."""
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def deliver_repeatedly() -> None:
        try:
            start.wait()
            for _ in range(rounds):
                deliver_pending()
        except BaseException as exc:  # noqa: BLE001 - surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    running = [threading.Thread(target=deliver_repeatedly) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(120)
    assert errors == []


def test_concurrent_and_repeated_delivery_sends_each_mail_once(db_url, broker, sink, api):
    base, auth = api
    acks = [_mail_in(f"user{i}@example.com", f"Hello, question {i}: how do I export my history?")
            for i in range(12)]
    expected = {ack.external_id: 1 for ack in acks}
    _deliver_concurrently()
    # Two more waves of agent answers, each a fresh race between the delivering threads.
    for wave in range(2):
        for ack in acks:
            answered = httpx.post(f"{base}/api/conversations/{ack.conversation_id}/reply", headers=auth(),
                                  json={"text": f"Settings, then History, then Export ({wave})."})
            assert answered.status_code == 201, answered.text
            expected[answered.json()["external_id"]] = 1
        _deliver_concurrently()
    assert deliver_pending() == 0
    assert message_ids([raw for _, _, raw in sink.messages]) == expected
    with session_scope() as session:
        statuses = set(session.execute(select(Message.status).where(Message.direction == "out")).scalars())
    assert statuses == {"sent"}
