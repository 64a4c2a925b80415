"""Threading: replies join their conversation; a stranger quoting the subject token does not."""
from __future__ import annotations

from sqlalchemy import select

from channels import email as email_channel
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Message
from support import make_email


def _ingest(msg) -> Message:
    accepted = accept(email_channel.parse(msg.as_bytes()))
    drain_inbound()  # the task's function, called directly
    with session_scope() as session:
        return session.get(Message, accepted.message_id)


def _ack_of(conversation_id: int) -> Message:
    with session_scope() as session:
        return session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.direction == "out")).scalars().one()


def test_reply_to_our_acknowledgement_threads(db_url, broker):
    first = _ingest(make_email(sender="ann@example.com", subject="App crashes on start",
                               text="The app crashes every time I open it on Android 14."))
    ack = _ack_of(first.conversation_id)
    reply = _ingest(make_email(sender="ann@example.com", subject="Re: " + ack.subject,
                               text="It still crashes after reinstalling.",
                               in_reply_to=ack.external_id, references=[ack.external_id]))
    assert reply.conversation_id == first.conversation_id
    with session_scope() as session:
        conversation = session.get(Conversation, first.conversation_id)
        assert any("threaded into" in r["reason"] and "references" in r["reason"] for r in conversation.reasons)


def test_subject_token_threads_only_for_the_same_customer(db_url, broker):
    first = _ingest(make_email(sender="ann@example.com", subject="Cannot log in",
                               text="I cannot log in since yesterday, the code never arrives."))
    token = f"[#{first.conversation_id}]"
    same = _ingest(make_email(sender="ANN@example.com", subject=f"Re: Cannot log in {token}",
                              text="Any news on my login problem?"))
    stranger = _ingest(make_email(sender="mallory@example.net", subject=f"Re: Cannot log in {token}",
                                  text="Any news on my login problem?"))
    assert same.conversation_id == first.conversation_id
    assert stranger.conversation_id != first.conversation_id
    with session_scope() as session:
        other = session.get(Conversation, stranger.conversation_id)
        assert other.customer_id != session.get(Conversation, first.conversation_id).customer_id
        assert any("not its customer" in r["reason"] for r in other.reasons)


def test_stranger_replying_with_our_message_id_does_not_thread(db_url, broker):
    first = _ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                               text="My withdrawal of 200 USDT is missing."))
    ack = _ack_of(first.conversation_id)
    forged = _ingest(make_email(sender="mallory@example.net", subject="Re: " + ack.subject,
                                text="Please send the refund to my address instead.",
                                in_reply_to=ack.external_id, references=[ack.external_id]))
    assert forged.conversation_id != first.conversation_id


def test_auto_submitted_mail_gets_no_acknowledgement(db_url, broker):
    message = _ingest(make_email(sender="mailer-daemon@example.com", subject="Delivery failure",
                                 text="Your message could not be delivered.",
                                 headers={"Auto-Submitted": "auto-replied"}))
    with session_scope() as session:
        outbound = session.execute(select(Message).where(Message.direction == "out")).scalars().all()
        conversation = session.get(Conversation, message.conversation_id)
    assert outbound == []
    assert any("automatic mail" in r["reason"] for r in conversation.reasons)
