"""A channel whose send raises (here Telegram with its token gone: python-telegram-bot is
never reached, the channel says it is off) must not lose its rows nor hold up the others:
the email of the same batch goes out, and the Telegram message goes back to the queue for
the documented first backoff, with the error that stopped it, never failed for good. The
failure is one ERROR line naming the channel and how many messages it held up."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from channels import email as email_channel
from channels.base import Inbound
from conftest import reset_caches
from relays import message_ids
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event, Message
from support import make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
FIRST_WAIT = timedelta(seconds=30)  # the README's first backoff


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch):
    """The exact schedule: the jitter's own bounds are pinned in test_outbox_outage.py."""
    monkeypatch.setenv("MSGROUTER_DELIVERY_BACKOFF_JITTER", "0")


def _outbound() -> dict[str, Message]:
    with session_scope() as session:
        rows = session.execute(select(Message).where(Message.direction == "out")).scalars().all()
        session.expunge_all()
    return {row.channel: row for row in rows}


def test_a_channel_that_raises_keeps_its_rows_for_a_retry_and_the_other_channel_sends(
        db_url, broker, sink, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="router.delivery.outbox")
    monkeypatch.delenv("MSGROUTER_TELEGRAM_TOKEN", raising=False)  # the Telegram channel is off
    reset_caches()
    with time_machine.travel(START, tick=False):
        accept(Inbound(channel="telegram", external_id="5550001:41", sender="5550001", sender_name="Lin",
                       text="My withdrawal of 500 USDT has not arrived since yesterday."))
        accept(email_channel.parse(make_email(sender="pat@example.com",
                                              text="My deposit of 1 ETH has not arrived.").as_bytes()))
        drain_inbound()
        queued = _outbound()
        assert set(queued) == {"telegram", "email"}  # each customer's acknowledgement, one batch

        assert deliver_pending() == 1  # the email; the Telegram message did not go

    rows = _outbound()
    assert rows["email"].status == "sent"
    assert message_ids([raw for _, _, raw in sink.messages]) == {queued["email"].external_id: 1}
    telegram = rows["telegram"]
    assert (telegram.status, telegram.attempts, telegram.claimed_at) == ("queued", 1, START + FIRST_WAIT)
    assert telegram.error.startswith("TelegramOff: the Telegram channel is off"), telegram.error
    with session_scope() as session:
        kinds = list(session.execute(select(Event.kind).where(Event.message_id == telegram.id,
                                                              Event.kind.like("deliver%"))).scalars())
    assert kinds == [], "a channel's failure is retried, not failed or parked"
    # The first line: once logging is configured (an earlier test may have done it), the
    # redacting filter folds the traceback into the message below it.
    raised = [r.getMessage().splitlines()[0] for r in caplog.records
              if r.name == "router.delivery.outbox" and r.levelname == "ERROR"]
    assert raised == ["sending 1 telegram messages raised"]
