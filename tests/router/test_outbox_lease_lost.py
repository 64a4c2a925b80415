"""The README's stalled worker, under a stopped clock: a worker stalls in its batch's first
mail for longer than the whole lease, and another worker's claim takes the batch's rows
meanwhile. The stalled worker learns it at its next renewal: it sends none of the rest,
writes no outcome over the new holder's claim and counts nothing as sent. The mail it had
in hand was accepted, so its receipt stands: when the rows come round again it is marked
sent from that receipt, and only the rest is sent, once. The stalled worker says so in one
warning."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from channels import email as email_channel
from conftest import reset_caches
from relays import message_ids
from router.clock import utcnow
from router.delivery.outbox import deliver_pending
from router.queue.claims import claim
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event, Message
from support import free_port, make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
LEASE = 6  # seconds


class StallingRelay:
    """While the first mail's data is in, the clock runs past the lease and another worker
    claims what it finds expired, up to `limit` rows: the stalled worker's rows, oldest first."""

    def __init__(self, clock, limit: int = 50) -> None:
        self.clock, self.limit = clock, limit
        self.port = free_port()
        self.mails: list[bytes] = []
        self.taken: list[int] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if not self.mails:
            self.clock.shift(LEASE + 1)
            with session_scope() as db:
                self.taken = claim(db, "out", self.limit, utcnow(), LEASE, token="another-worker")
        self.mails.append(envelope.original_content)
        return "250 OK"

    def __enter__(self) -> StallingRelay:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def _mails_in(count: int) -> None:
    for i in range(count):
        accept(email_channel.parse(make_email(sender=f"user{i}@example.com",
                                              text=f"Hello, question {i}: what are the fees?").as_bytes()))
    drain_inbound()


def _rows() -> list[Message]:
    with session_scope() as session:
        rows = list(session.execute(select(Message).where(Message.direction == "out").order_by(Message.id)).scalars())
        session.expunge_all()
    return rows


def test_a_worker_that_lost_its_lease_sends_and_writes_nothing_more(db_url, broker, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="router.delivery.outbox")
    monkeypatch.setenv("MSGROUTER_CLAIM_LEASE_SECONDS", str(LEASE))
    with time_machine.travel(START, tick=False) as clock, StallingRelay(clock) as relay:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        _mails_in(2)
        first, second = _rows()

        assert deliver_pending() == 0, "nothing the stalled worker still held was sent"
        warned = [r.getMessage() for r in caplog.records
                  if r.levelname == "WARNING" and r.name == "router.delivery.outbox"]
        assert warned == ["2 outbound messages of this batch were taken over by another worker"]
        assert sorted(relay.taken) == [first.id, second.id]
        assert message_ids(relay.mails) == {first.external_id: 1}, "the rest of the batch was not sent"
        assert [(r.status, r.claim_token) for r in _rows()] == [("sending", "another-worker")] * 2, \
            "no outcome written over the new holder's claim"

        clock.shift(LEASE + 1)  # the other worker died too: the rows come round again
        assert deliver_pending() == 1
    assert message_ids(relay.mails) == {first.external_id: 1, second.external_id: 1}
    assert [r.status for r in _rows()] == ["sent", "sent"]
    with session_scope() as session:
        recovered = session.execute(select(Event.message_id).where(
            Event.kind == "delivered", Event.data["recovered"].as_boolean())).scalars().all()
    assert recovered == [first.id], "the mail in hand was marked sent from its receipt"


def test_a_worker_that_lost_part_of_its_batch_still_sends_and_records_the_rest(db_url, broker, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="router.delivery.outbox")
    monkeypatch.setenv("MSGROUTER_CLAIM_LEASE_SECONDS", str(LEASE))
    with time_machine.travel(START, tick=False) as clock, StallingRelay(clock, limit=1) as relay:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        _mails_in(3)
        first, second, third = _rows()
        assert deliver_pending() == 2
    assert relay.taken == [first.id]
    assert message_ids(relay.mails) == {first.external_id: 1, second.external_id: 1, third.external_id: 1}
    assert [(r.status, r.claim_token) for r in _rows()] == [
        ("sending", "another-worker"), ("sent", None), ("sent", None)], "only the rows still held were written"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "router.delivery.outbox"]
    assert warned == ["1 outbound messages of this batch were taken over by another worker"]
