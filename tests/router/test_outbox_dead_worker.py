"""Mail a worker claimed and never sent (the worker died: its claim, made as every delivering
worker makes one, is simply never finished) is claimed again once the lease has run out,
sent once, and recorded sent by the worker that sent it: a dead worker's claim token must not
keep the rows from their new holder."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from channels import email as email_channel
from config.settings import get_settings
from relays import message_ids
from router.delivery.outbox import deliver_pending
from router.queue.claims import claim
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def test_mail_claimed_by_a_worker_that_died_is_sent_once_after_the_lease(db_url, broker, sink):
    lease = get_settings().claim_lease_seconds
    with time_machine.travel(START, tick=False) as clock:
        accept(email_channel.parse(make_email(sender="ann@example.com", text="Hello, what are the fees?").as_bytes()))
        drain_inbound()
        with session_scope() as session:  # a worker claims the acknowledgement, then dies
            [ack_id] = claim(session, "out", 50, START, lease, token="the-worker-that-died")
        assert deliver_pending() == 0, "the claim holds while its lease runs"
        clock.shift(lease + 1)
        assert deliver_pending() == 1
        clock.shift(timedelta(hours=1))
        assert deliver_pending() == 0
    with session_scope() as session:
        ack = session.execute(select(Message).where(Message.id == ack_id)).scalars().one()
    assert (ack.status, ack.attempts) == ("sent", 2)
    assert message_ids([raw for _, _, raw in sink.messages]) == {ack.external_id: 1}
