"""Repeated mail from one sender: mail that threads into nothing joins the conversation
the sender opened on the channel within the desk's same-sender window while it is open,
whatever its subject; so 300 mails make one case and one acknowledgement. Later mail, mail
after a resolve, and another sender's mail open cases of their own; thread headers still
come first."""
from __future__ import annotations

import smtplib
from datetime import timedelta

from sqlalchemy import func, select

from config.desk import get_desk
from pipeline_support import conversation, conversation_count, delivered, ingest, later, outbound_of
from router.desk import conversations as actions
from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Message
from support import make_email


def _window() -> timedelta:
    return timedelta(seconds=get_desk().threading.same_sender_window)


def test_three_hundred_mails_from_one_sender_make_one_conversation(smtp_port, broker, sink, monkeypatch):
    from config.settings import get_settings

    monkeypatch.setenv("MSGROUTER_DRAIN_BATCH", "40")  # several batches: in-batch and stored both
    get_settings.cache_clear()
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as client:
        for n in range(300):  # every subject different, as a flood's or an autoresponder's are
            client.send_message(make_email(sender="flood@example.com", subject=f"Ticket {n} {n * 7919 % 1000}",
                                           text=f"Message number {n}: my app shows error {n % 13}."))
    while drain_inbound():
        pass
    with session_scope() as session:
        ids = set(session.execute(select(Message.conversation_id).where(Message.direction == "in")).scalars())
        done = session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "in", Message.status == "done")).scalar()
    assert done == 300
    assert len(ids) == 1 and conversation_count() == 1
    assert len(delivered(sink, "flood@example.com")) == 1


def test_a_second_mail_with_another_subject_joins_the_open_case(db_url, broker, sink):
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    with later(_window() - timedelta(minutes=5)):
        second = ingest(make_email(sender="ann@example.com", subject="Also: login",
                                   text="And I cannot log in on my tablet either."))
    assert second.conversation_id == first.conversation_id
    reasons = [r["reason"] for r in conversation(first.conversation_id).reasons if r["step"] == "repeat"]
    assert reasons and f"#{first.conversation_id}" in reasons[0]
    assert len(delivered(sink, "ann@example.com")) == 1


def test_mail_after_the_window_opens_a_new_case(db_url, broker, sink):
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    with later(_window() + timedelta(minutes=1)):
        second = ingest(make_email(sender="ann@example.com", subject="Login",
                                   text="I cannot log in on my tablet."))
    assert second.conversation_id not in (None, first.conversation_id)


def test_mail_after_a_resolve_opens_a_new_case(db_url, broker, sink):
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    with session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.resolve(session, session.get(Conversation, first.conversation_id), alice)
    second = ingest(make_email(sender="ann@example.com", subject="Another thing",
                               text="How do I change the display currency?"))
    assert second.conversation_id not in (None, first.conversation_id)
    assert conversation(first.conversation_id).state == "resolved"


def test_another_sender_or_address_has_a_case_of_its_own(db_url, broker, sink):
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    others = [ingest(make_email(sender=address, subject="Withdrawal missing",
                                text=f"{address}: my withdrawal has not arrived."))
              for address in ("bob@example.com", "ann+shop@example.com")]
    assert len({first.conversation_id, *(o.conversation_id for o in others)}) == 3


def test_thread_headers_come_before_the_sender_rule(db_url, broker, sink):
    old = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                            text="My withdrawal of 200 USDT has not arrived."))
    [ack] = delivered(sink, "ann@example.com")
    with later(_window() + timedelta(minutes=1)):
        recent = ingest(make_email(sender="ann@example.com", subject="Login",
                                   text="I cannot log in on my tablet."))
        reply = ingest(make_email(sender="ann@example.com", subject="Re: " + str(ack["Subject"]),
                                  text="Any news about the withdrawal?", in_reply_to=ack["Message-ID"],
                                  references=[ack["Message-ID"]]))
    assert recent.conversation_id != old.conversation_id
    assert reply.conversation_id == old.conversation_id  # by its References, not the newest case
    assert len(outbound_of(recent.conversation_id)) == 1
