"""The acknowledgement cap counts mailboxes, not spellings of an address (x+1@, x+2@ and
A.B@gmail.com, ab@googlemail.com), and holds when workers answer at the same time: a
second batch waits for the first's slots and sees them taken."""
from __future__ import annotations

import smtplib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from config.desk import get_desk
from pipeline_support import conversation, delivered, ingest, later
from router.delivery.ack_quota import Quota
from router.storage import rows
from router.storage.db import get_engine, session_scope
from router.storage.models import Message
from support import make_email, wait_for

TOPICS = ["The app crashes when I open the settings page.",
          "How do I export my transaction history to a spreadsheet?",
          "The price chart does not load on my tablet.",
          "Can I change the display currency to euros?",
          "Where can I find the app's version number?",
          "My balance shows zero after the update.",
          "Is there a fee to receive USDT?"]


def _cap() -> int:
    return get_desk().acknowledgement.max_per_customer


@pytest.mark.parametrize("spellings", [
    ["x+1@example.com", "X+2@Example.com", "x+3@example.com", "x+auto@example.com", "x@example.com"],
    ["a.b@gmail.com", "ab@gmail.com", "a.b+1@googlemail.com", "A.B+2@Gmail.com", "a..b@gmail.com"],
], ids=["plus-tags", "gmail-dots"])
def test_the_cap_counts_the_mailbox_however_its_address_is_written(db_url, broker, sink, spellings):
    for n, address in enumerate(spellings):
        ingest(make_email(sender=address, subject=f"Question {n}", text=TOPICS[n]))
    mails = delivered(sink)
    assert len(mails) == _cap()
    assert [m["To"] for m in mails] == [a.lower() for a in spellings[:_cap()]]  # each to its own address


def test_the_trail_says_the_cap_kept_an_answer_back(db_url, broker, sink):
    cap = _cap()
    for n in range(cap):
        ingest(make_email(sender=f"x+{n}@example.com", subject=f"Question {n}", text=TOPICS[n]))
    last = ingest(make_email(sender="X+late@example.com", subject="One more", text=TOPICS[-1]))
    assert {"step": "acknowledge", "message_id": last.id,
            "reason": f"no acknowledgement: already {cap} automatic answers to this mailbox "
                      "(x@example.com) within the window"} in conversation(last.conversation_id).reasons


def test_another_mailbox_at_the_same_domain_has_its_own_cap(db_url, broker, sink):
    for n in range(_cap()):
        ingest(make_email(sender=f"x+{n}@example.com", subject=f"Question {n}", text=TOPICS[n]))
    ingest(make_email(sender="y@example.com", subject="Question", text=TOPICS[-1]))
    assert len(delivered(sink, "y@example.com")) == 1


def test_a_mailbox_is_answered_again_once_the_window_has_passed(db_url, broker, sink):
    window = timedelta(seconds=get_desk().acknowledgement.window)
    for n in range(_cap() + 1):
        ingest(make_email(sender=f"x+{n}@example.com", subject=f"Question {n}", text=TOPICS[n]))
    assert len(delivered(sink)) == _cap()
    with later(window + timedelta(minutes=1)):
        ingest(make_email(sender="x+late@example.com", subject="Later", text=TOPICS[-1]))
        assert len(delivered(sink)) == _cap() + 1


@pytest.fixture
def small_batches(db_url, monkeypatch):
    """Batches of two, so the two worker threads take the mail in many concurrent batches."""
    from config.settings import get_settings

    monkeypatch.setenv("MSGROUTER_DRAIN_BATCH", "2")
    get_settings.cache_clear()


def test_two_workers_racing_send_no_more_than_the_cap(small_batches, worker, smtp_port, sink):
    sent = 14
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        for n in range(sent):  # an autoresponder answering from a new tag each time
            client.send_message(make_email(sender=f"bot+{n}@example.com", subject=f"Auto {n}",
                                           text=f"Your message number {n} was received."))

    def settled() -> bool:
        with session_scope() as session:
            done = session.execute(select(func.count()).select_from(Message).where(
                Message.direction == "in", Message.status == "done")).scalar()
            waiting = session.execute(select(func.count()).select_from(Message).where(
                Message.direction == "out", Message.status.in_(("queued", "sending")))).scalar()
        return done == sent and waiting == 0
    wait_for(settled, timeout=90, what="every mail processed and every answer sent")
    assert len(sink.messages) == _cap()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_second_batch_waits_for_the_slots_the_first_holds_and_sees_them_taken(db_url):
    key = ("email", "x@example.com")
    policy = get_desk().acknowledgement
    engine = get_engine()
    answer = rows.new(Message, id=None)
    second: dict[str, int] = {}

    def second_batch() -> None:
        with session_scope() as session:
            quota = Quota(session, {key}, policy.max_per_customer, policy.window, _now())
            second["taken"] = sum(quota.take(key, answer) for _ in range(policy.max_per_customer))
            quota.write()

    with session_scope() as session:  # the mailbox's slots exist, all free (an earlier batch made them)
        Quota(session, {key}, policy.max_per_customer, policy.window, _now())
    with session_scope() as session:
        first = Quota(session, {key}, policy.max_per_customer, policy.window, _now())
        assert all(first.take(key, answer) for _ in range(policy.max_per_customer))
        thread = threading.Thread(target=second_batch)
        thread.start()
        wait_for(lambda: _waiting_on_locks(engine) >= 1, what="the second batch to wait for the slots")
        first.write()
    thread.join(30)
    assert second == {"taken": 0}


def _now():
    from router.clock import utcnow

    return utcnow()


def _waiting_on_locks(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one()
