"""A receipt the database refuses stops the batch at the mail in hand: nothing more is sent,
the rows stay claimed, and once their lease has run out they go out again with nothing
lost and only that one mail twice (the window the README documents). The database is
made to refuse with a trigger on the real `delivery_receipt` table."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text

from channels import email as email_channel
from conftest import reset_caches
from relays import Relay, message_ids
from router.delivery.outbox import deliver_pending
from router.delivery.receipts import ReceiptNotWritten
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import get_engine, session_scope
from router.storage.models import Message
from support import make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
REFUSE = {
    "sqlite": [
        "CREATE TRIGGER no_receipts BEFORE INSERT ON delivery_receipt BEGIN SELECT RAISE(ABORT, 'no'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_receipt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$",
        "CREATE TRIGGER no_receipts BEFORE INSERT ON delivery_receipt FOR EACH ROW EXECUTE FUNCTION refuse_receipt()",
    ],
}
ALLOW = {"sqlite": ["DROP TRIGGER no_receipts"],
         "postgresql": ["DROP TRIGGER no_receipts ON delivery_receipt", "DROP FUNCTION refuse_receipt()"]}


def _run(statements: dict[str, list[str]]) -> None:
    engine = get_engine()
    with engine.begin() as conn:
        for statement in statements[engine.dialect.name]:
            conn.execute(text(statement))


def _statuses() -> Counter:
    with session_scope() as session:
        return Counter(dict(session.execute(select(Message.status, func.count()).where(Message.direction == "out")
                                            .group_by(Message.status)).all()))


def test_a_receipt_the_database_refuses_stops_the_batch_at_the_mail_in_hand(db_url, broker, monkeypatch):
    with Relay() as relay, time_machine.travel(START, tick=False) as clock:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        for i in range(4):
            accept(email_channel.parse(make_email(sender=f"user{i}@example.com", text=f"Question {i}?").as_bytes()))
        drain_inbound()
        _run(REFUSE)
        with pytest.raises(ReceiptNotWritten):
            deliver_pending()
        assert len(relay.accepted) == 1, "sending went on after a receipt was not written"
        assert _statuses() == {"sending": 4}
        _run(ALLOW)  # the receipts' connection left nothing open: this write does not wait
        clock.shift(timedelta(hours=1))  # the lease has run out
        assert deliver_pending() == 4
    received = message_ids(relay.accepted)
    assert sorted(received.values()) == [1, 1, 1, 2], "only the mail in hand twice"
    assert _statuses() == {"sent": 4}
