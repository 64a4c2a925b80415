"""Text-window dedupe where `repeat` cannot stand in for it: the customer's case is older
than the same-sender window, so only the ten-minute text window joins a repeated text to
it; and a case resolved in between is not joined, the repeat opens a case of its own.
(In tests/router/steps/test_dedupe.py the case is new, and `repeat` joins the second mail
even when dedupe does not, so those tests could not tell the two apart.)"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from config.desk import get_desk
from pipeline_support import conversation, conversation_count, delivered, ingest, later
from router.desk import conversations as actions
from router.steps.dedupe import WINDOW
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event
from support import make_email

TEXT = "I sent 0.3 ETH to my exchange two hours ago and it still has not arrived. Please check."


def _received(message_id: int) -> dict:
    with session_scope() as session:
        return session.execute(select(Event.data).where(Event.message_id == message_id,
                                                        Event.kind == "received")).scalar_one()


def _received_in(message_id: int) -> int | None:
    with session_scope() as session:
        return session.execute(select(Event.conversation_id).where(Event.message_id == message_id,
                                                                   Event.kind == "received")).scalar_one()


def _old_case_with_a_fresh_text(sink) -> tuple[int, timedelta]:
    """A case opened more than the same-sender window ago, and the customer's reply to our
    acknowledgement just now, which threads into it; returns the case and how long ago it
    was opened."""
    first = ingest(make_email(sender="sam@example.com", subject="Login", text="I cannot log in."))
    [ack] = delivered(sink, "sam@example.com")
    age = timedelta(seconds=get_desk().threading.same_sender_window) + timedelta(hours=1)
    with later(age):
        reply = ingest(make_email(sender="sam@example.com", subject="Re: " + str(ack["Subject"]), text=TEXT,
                                  in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]]))
    assert reply.conversation_id == first.conversation_id, "the reply threads (the test's premise)"
    return first.conversation_id, age


def test_the_same_text_again_joins_an_old_case_it_was_just_written_in(db_url, broker, sink):
    case, age = _old_case_with_a_fresh_text(sink)
    with later(age + WINDOW - timedelta(minutes=1)):
        again = ingest(make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
        mails = delivered(sink, "sam@example.com")
    assert again.status == "done"
    assert again.conversation_id == case
    assert conversation_count() == 1
    received = _received(again.id)
    assert received == {"channel": "email", "duplicate": True}, "received by mail, as a duplicate"
    assert _received_in(again.id) == case, "the event is the case's"
    assert [r["reason"] for r in conversation(case).reasons
            if r["step"] == "dedupe" and r["message_id"] == again.id] \
        == [f"stopped: same text as #{case} within {WINDOW}"]
    assert len(mails) == 1, "no second acknowledgement"


def test_the_same_text_after_the_window_opens_a_new_case_beside_the_old_one(db_url, broker, sink):
    case, age = _old_case_with_a_fresh_text(sink)
    with later(age + WINDOW + timedelta(minutes=1)):
        again = ingest(make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
    assert again.conversation_id not in (None, case)
    assert conversation_count() == 2
    assert not _received(again.id).get("duplicate")


def test_the_same_text_after_its_case_was_resolved_opens_a_new_case(db_url, broker, sink):
    case, age = _old_case_with_a_fresh_text(sink)
    with later(age + timedelta(minutes=1)), session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.resolve(session, session.get(Conversation, case), alice)
    with later(age + timedelta(minutes=2)):
        again = ingest(make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
    assert again.conversation_id not in (None, case)
    assert conversation(case).state == "resolved"
    assert not _received(again.id).get("duplicate")


def test_another_text_in_the_window_opens_a_new_case(db_url, broker, sink):
    case, age = _old_case_with_a_fresh_text(sink)
    with later(age + timedelta(minutes=1)):
        other = ingest(make_email(sender="sam@example.com", subject="Fees", text="What are your fees?"))
    assert other.conversation_id not in (None, case)
    assert not _received(other.id).get("duplicate")
