"""The README's "The claim lease is renewed while a batch sends", under a stopped clock: a
relay that takes two seconds a mail, a lease of three seconds, three mails in one batch.
No mail of the batch ever becomes claimable by another worker while the batch goes out
(the lease is pushed forward between mails), and the worker still holding its rows sends
every one of them."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from channels import email as email_channel
from conftest import reset_caches
from router.clock import utcnow
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import Sink, make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
LEASE = 3  # seconds
MAIL_TAKES = 2  # seconds of the stopped clock per mail: the batch outlasts the lease


class SlowRelay(Sink):
    """Each mail's data takes MAIL_TAKES seconds of the test's clock. As each arrives, the relay
    notes how many rows are still being sent with a claim older than the lease: rows
    another worker's claim would take."""

    def __init__(self, clock) -> None:
        super().__init__()
        self.clock = clock
        self.mails = 0
        self.expired_claims: list[int] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with session_scope() as db:
            self.expired_claims.append(db.execute(select(func.count()).select_from(Message).where(
                Message.status == "sending", Message.claimed_at < utcnow() - timedelta(seconds=LEASE))).scalar_one())
        self.mails += 1
        self.clock.shift(MAIL_TAKES)
        return "250 OK"


def test_a_batch_slower_than_its_lease_keeps_its_claim_and_sends_every_mail(db_url, broker, monkeypatch):
    monkeypatch.setenv("MSGROUTER_CLAIM_LEASE_SECONDS", str(LEASE))
    with time_machine.travel(START, tick=False) as clock, SlowRelay(clock) as relay:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        for i in range(3):
            accept(email_channel.parse(make_email(sender=f"user{i}@example.com",
                                                  text=f"Hello, question {i}: what are the fees?").as_bytes()))
        drain_inbound()
        assert deliver_pending() == 3
        assert utcnow() >= START + timedelta(seconds=3 * MAIL_TAKES), "the batch took longer than its lease"
    assert relay.mails == 3
    assert relay.expired_claims == [0, 0, 0], "a row of the batch was left claimable by another worker"
