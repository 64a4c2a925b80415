"""Text-window dedupe: the same text from the same customer inside the window joins the
first conversation (no second case, no second acknowledgement); outside the window it is
a message of its own (which joins the sender's recent open case, `repeat`, or opens one),
and from another customer it opens a case of its own."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from config.desk import get_desk
from pipeline_support import conversation_count, delivered, ingest, later, outbound_of
from router.steps.dedupe import WINDOW
from router.storage.db import session_scope
from router.storage.models import Event
from support import make_email

TEXT = "I sent 0.3 ETH to my exchange two hours ago and it still has not arrived. Please check."


def test_the_same_text_inside_the_window_joins_the_first_conversation(db_url, broker, sink):
    first = ingest(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT))
    # The customer, hearing nothing yet, sends it again under another subject.
    with later(WINDOW - timedelta(minutes=1)):
        again = ingest(make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
    assert again.status == "done"
    assert again.conversation_id == first.conversation_id
    assert conversation_count() == 1
    assert len(outbound_of(first.conversation_id)) == 1
    assert len(delivered(sink, "sam@example.com")) == 1


def test_the_same_text_after_the_window_is_a_message_of_its_own(db_url, broker, sink):
    first = ingest(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT))
    with later(WINDOW + timedelta(minutes=1)):
        again = ingest(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT))
        mails = delivered(sink, "sam@example.com")
    # Not a duplicate any more: a message the pipeline takes on (the sender's case is still
    # open and was opened within the same-sender window, so it joins it: `repeat`).
    assert again.conversation_id == first.conversation_id
    with session_scope() as session:
        data = session.execute(select(Event.data).where(Event.message_id == again.id,
                                                        Event.kind == "received")).scalar_one()
    assert data.get("repeat") and not data.get("duplicate")
    assert len(mails) == 1


def test_the_same_text_after_the_same_sender_window_opens_a_new_conversation(db_url, broker, sink):
    first = ingest(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT))
    window = timedelta(seconds=get_desk().threading.same_sender_window)
    with later(max(WINDOW, window) + timedelta(minutes=1)):
        again = ingest(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT))
        mails = delivered(sink, "sam@example.com")
    assert again.conversation_id not in (None, first.conversation_id)
    assert conversation_count() == 2
    assert len(outbound_of(again.conversation_id)) == 1
    assert len(mails) == 2


def test_the_same_text_from_another_customer_opens_a_new_conversation(db_url, broker, sink):
    first = ingest(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT))
    other = ingest(make_email(sender="tom@example.com", subject="ETH missing", text=TEXT))
    assert other.conversation_id not in (None, first.conversation_id)
    assert conversation_count() == 2
    assert len(delivered(sink, "tom@example.com")) == 1
