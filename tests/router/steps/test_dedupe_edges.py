"""Text-window dedupe at its edges: repeats that arrive in one batch, a customer's text that
only machine mail or our own reply had before, a threaded reply whose text another case
holds, and the window's end, which still counts. Each case is one `repeat` (the same-sender
rule) cannot decide, or decides otherwise, so only dedupe's own rule passes them."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from channels import email as email_channel
from config.desk import get_desk
from pipeline_support import conversation, delivered, ingest, later
from router.desk import conversations as actions
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.steps.dedupe import WINDOW
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event, Message
from support import make_email

TEXT = "I sent 0.3 ETH to my exchange two hours ago and it still has not arrived. Please check."


def _received(message_id: int) -> dict:
    with session_scope() as session:
        return session.execute(select(Event.data).where(Event.message_id == message_id,
                                                        Event.kind == "received")).scalar_one()


def _one_batch(*mails) -> list[Message]:
    """The mails accepted first and then drained together, as one pipeline batch."""
    ids = [accept(email_channel.parse(m.as_bytes())).message_id for m in mails]
    drain_inbound()
    with session_scope() as session:
        return [session.get(Message, i) for i in ids]


def _reasons(message: Message) -> list[str]:
    return [r["reason"] for r in conversation(message.conversation_id).reasons
            if r["step"] == "dedupe" and r["message_id"] == message.id]


def _age() -> timedelta:
    """Older than the same-sender window: `repeat` joins nothing this old."""
    return timedelta(seconds=get_desk().threading.same_sender_window) + timedelta(hours=1)


def _threaded(sink, sender: str, ack, text: str) -> Message:
    return ingest(make_email(sender=sender, subject="Re: " + str(ack["Subject"]), text=text,
                             in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]]))


def test_the_same_text_twice_in_one_batch_is_one_case_and_the_second_is_the_duplicate(db_url, broker, sink):
    first, again = _one_batch(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT),
                              make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
    assert again.conversation_id == first.conversation_id is not None
    assert _received(again.id).get("duplicate") is True
    assert f"stopped: same text as message {first.id} within {WINDOW}" in _reasons(again)
    assert len(delivered(sink, "sam@example.com")) == 1


def test_other_customers_and_other_texts_in_one_batch_are_no_duplicates(db_url, broker, sink):
    sam, tom, other = _one_batch(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT),
                                 make_email(sender="tom@example.com", subject="ETH missing", text=TEXT),
                                 make_email(sender="ann@example.com", subject="Fees", text="What are your fees?"))
    assert len({sam.conversation_id, tom.conversation_id, other.conversation_id}) == 3
    assert not any(_received(m.id).get("duplicate") for m in (sam, tom, other))


def test_a_batch_repeating_a_stored_text_joins_the_stored_case(db_url, broker, sink):
    """One copy stored in an old case a minute ago, two more in the next batch: all three in
    that case, the batch's two done as duplicates."""
    first = ingest(make_email(sender="sam@example.com", subject="Login", text="I cannot log in."))
    [ack] = delivered(sink, "sam@example.com")
    with later(_age()):
        stored = _threaded(sink, "sam@example.com", ack, TEXT)
    with later(_age() + timedelta(minutes=1)):
        batch = _one_batch(make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT),
                           make_email(sender="sam@example.com", subject="Urgent!!!", text=TEXT))
    assert stored.conversation_id == first.conversation_id
    assert [(m.conversation_id, m.status) for m in batch] == [(first.conversation_id, "done")] * 2
    assert all(_received(m.id).get("duplicate") for m in batch)


def test_a_person_writing_what_their_autoresponder_wrote_gets_a_case(db_url, broker, sink):
    """Machine mail opens a parked conversation, which is nobody's work: the person's own
    message with the same text must not disappear into it."""
    machine = ingest(make_email(sender="sam@example.com", subject="Out of office", text=TEXT,
                                headers={"Auto-Submitted": "auto-replied"}))
    assert conversation(machine.conversation_id).state == "parked"
    person = ingest(make_email(sender="sam@example.com", subject="ETH missing", text=TEXT))
    assert person.conversation_id not in (None, machine.conversation_id)
    assert conversation(person.conversation_id).state == "open"
    assert not _received(person.id).get("duplicate")


def test_our_own_words_sent_back_are_the_customers_message_not_a_duplicate(db_url, broker, sink):
    """Only the customer's messages count: a customer who pastes the reply we sent a minute
    ago back as a new mail (no thread headers) wrote something of their own. (The case is
    older than the same-sender window, so only dedupe could join the paste to it.)"""
    first = ingest(make_email(sender="sam@example.com", subject="Login", text="I cannot log in."))
    ours = "Please reset your two-factor code from the settings page and try again."
    with later(_age()), session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.reply(session, session.get(Conversation, first.conversation_id), alice, ours)
    with later(_age() + timedelta(minutes=1)):
        pasted = ingest(make_email(sender="sam@example.com", subject="What does this mean?", text=ours))
    assert pasted.conversation_id not in (None, first.conversation_id)
    assert not _received(pasted.id).get("duplicate")


def test_a_threaded_reply_stays_in_its_case_whatever_another_case_holds(db_url, broker, sink):
    """Two old cases; the same text written as a reply in one, then as a reply in the other:
    the thread decides, dedupe only takes mail that threads nowhere."""
    login = ingest(make_email(sender="sam@example.com", subject="Login", text="I cannot log in."))
    [login_ack] = delivered(sink, "sam@example.com")
    with later(_age()):
        fees = ingest(make_email(sender="sam@example.com", subject="Fees", text="What are your fees?"))
        fees_ack = delivered(sink, "sam@example.com")[-1]
    with later(_age() * 2):
        in_login = _threaded(sink, "sam@example.com", login_ack, TEXT)
    with later(_age() * 2 + timedelta(minutes=1)):
        in_fees = _threaded(sink, "sam@example.com", fees_ack, TEXT)
    assert (in_login.conversation_id, in_fees.conversation_id) == (login.conversation_id, fees.conversation_id)
    assert not _received(in_fees.id).get("duplicate")
    # Written a third time, threading nowhere, it joins the case of the newest copy.
    with later(_age() * 2 + timedelta(minutes=2)):
        third = ingest(make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
    assert third.conversation_id == fees.conversation_id
    assert _received(third.id).get("duplicate") is True


def test_the_window_includes_its_last_instant(db_url, broker, sink):
    """A repeat exactly ten minutes after the stored copy still joins it (under a stopped
    clock, so "exactly" is exact)."""
    start = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        first = ingest(make_email(sender="sam@example.com", subject="Login", text="I cannot log in."))
    ack = next(m for m in _outbound(first.conversation_id))
    with time_machine.travel(start + _age(), tick=False):
        stored = ingest(make_email(sender="sam@example.com", subject="Re: " + ack.subject, text=TEXT,
                                   in_reply_to=ack.external_id, references=[ack.external_id]))
    assert stored.conversation_id == first.conversation_id, "the reply threads (the test's premise)"
    with time_machine.travel(start + _age() + WINDOW, tick=False):
        again = ingest(make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
    assert again.conversation_id == first.conversation_id
    assert _received(again.id).get("duplicate") is True


def _outbound(conversation_id: int) -> list[Message]:
    with session_scope() as session:
        return list(session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                          Message.direction == "out")).scalars())


def test_a_repeat_of_a_reply_in_the_same_batch_joins_the_replys_case(db_url, broker, sink):
    """The batch's reply threads into an old case, and the same text unthreaded right after
    it in the batch joins that case, which the reason names."""
    first = ingest(make_email(sender="sam@example.com", subject="Login", text="I cannot log in."))
    [ack] = delivered(sink, "sam@example.com")
    with later(_age()):
        reply, again = _one_batch(
            make_email(sender="sam@example.com", subject="Re: " + str(ack["Subject"]), text=TEXT,
                       in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]]),
            make_email(sender="sam@example.com", subject="Urgent!!", text=TEXT))
    assert reply.conversation_id == again.conversation_id == first.conversation_id
    assert _reasons(again) == [f"stopped: same text as #{first.conversation_id} within {WINDOW}"]


def test_a_backlog_drained_late_counts_from_when_each_mail_came(db_url, broker, sink):
    """Mail that waited (no worker) is judged by when it was received: two copies further
    apart than the window are no duplicates even when one batch takes both; exactly the
    window apart they are (a stopped clock makes "exactly" exact)."""
    start = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    for gap, duplicate in ((WINDOW + timedelta(seconds=1), False), (WINDOW, True)):
        sender = f"gap{int(gap.total_seconds())}@example.com"
        with time_machine.travel(start, tick=False):
            first_id = accept(email_channel.parse(make_email(sender=sender, text=TEXT).as_bytes())).message_id
        with time_machine.travel(start + gap, tick=False):
            again_id = accept(email_channel.parse(make_email(sender=sender, subject="Again", text=TEXT)
                                                  .as_bytes())).message_id
            drain_inbound()
        assert bool(_received(again_id).get("duplicate")) is duplicate, f"{gap} apart"
        assert _received(first_id).get("new_conversation")
        start += timedelta(days=1)
