"""What the outbox queues, read from the rows and the mail that reaches the customer: a
reply answers the customer's latest message of its own conversation (threaded to it in the
row and in the mail's headers, sent to its sender), however many messages came in since
and from whom; a message we write automatically (an investigating status update) is
marked so, and its mail tells other machines not to answer it (RFC 3834), while an agent's
reply is not."""
from __future__ import annotations

import httpx
from sqlalchemy import select

from channels import email as email_channel
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email, wait_for


def _mail(sender: str, message_id: str, text: str, in_reply_to: str | None = None) -> int:
    """A customer's mail through intake and the pipeline; returns its conversation's id."""
    accepted = accept(email_channel.parse(make_email(
        sender=sender, message_id=message_id, in_reply_to=in_reply_to,
        references=[in_reply_to] if in_reply_to else None, text=text).as_bytes()))
    drain_inbound()
    with session_scope() as session:
        conversation_id = session.get(Message, accepted.message_id).conversation_id
    assert conversation_id is not None
    return conversation_id


def _replies(conversation_id: int) -> list[Message]:
    """The conversation's outbound rows that are not acknowledgements, oldest first."""
    with session_scope() as session:
        rows = session.execute(select(Message).where(
            Message.conversation_id == conversation_id, Message.direction == "out",
            Message.external_id.notin_(_acks(session, conversation_id))).order_by(Message.id)).scalars().all()
        session.expunge_all()
        return list(rows)


def _acks(session, conversation_id: int) -> list[str]:
    # The acknowledgement is queued by the pipeline before any agent writes: the first out row.
    first = session.execute(select(Message.external_id).where(
        Message.conversation_id == conversation_id, Message.direction == "out")
        .order_by(Message.id).limit(1)).scalar()
    return [first] if first else []


def test_a_reply_answers_the_latest_message_of_its_own_conversation(api, broker, sink):
    base, auth = api
    ours = _mail("lin@example.com", "<first@example.com>", "My withdrawal of 300 USDT has not arrived.")
    again = _mail("lin@example.com", "<second@example.com>", "Still nothing, it has been six hours.",
                  in_reply_to="<first@example.com>")
    assert again == ours  # the second mail is threaded into the same conversation
    other = _mail("pat@example.com", "<other@example.com>", "My deposit of 1 ETH has not arrived.")
    assert other != ours  # a later message of another customer, in another conversation

    answer = httpx.post(f"{base}/api/conversations/{ours}/reply", headers=auth(),
                        json={"text": "We found the transfer: it is waiting for one more confirmation."})
    assert answer.status_code == 201, answer.text
    [reply] = _replies(ours)
    assert reply.recipient == "lin@example.com"
    assert reply.in_reply_to == "<second@example.com>"
    assert reply.references[-1] == "<second@example.com>"
    assert "<first@example.com>" in reply.references
    assert "<other@example.com>" not in reply.references
    # And the mail itself carries the thread, so the customer's mail program files it there.
    deliver_pending()
    wait_for(lambda: any(m["Message-ID"] == reply.external_id for m in sink.parsed()), what="the reply mail")
    [mail] = [m for m in sink.parsed() if m["Message-ID"] == reply.external_id]
    assert mail["In-Reply-To"] == "<second@example.com>"
    assert mail["References"].split() == reply.references


def test_a_status_update_is_automatic_and_a_reply_is_not(api, broker, sink):
    base, auth = api
    ours = _mail("mei@example.com", "<update@example.com>", "My withdrawal of 2 BTC has not arrived.")
    started = httpx.post(f"{base}/api/conversations/{ours}/investigating", headers=auth(),
                         json={"status_update": True})
    assert started.status_code == 200, started.text
    replied = httpx.post(f"{base}/api/conversations/{ours}/reply", headers=auth(),
                         json={"text": "Our chain team has found your transfer and is on it."})
    assert replied.status_code == 201, replied.text
    update, reply = _replies(ours)
    assert (update.automatic, reply.automatic) == (True, False)

    deliver_pending()
    wait_for(lambda: len([m for m in sink.parsed() if m["In-Reply-To"] == "<update@example.com>"]) >= 2,
             what="the status update and the reply to reach the customer")
    mails = {m["Message-ID"]: m for m in sink.parsed()}
    assert mails[update.external_id]["Auto-Submitted"] == "auto-replied"
    assert mails[reply.external_id]["Auto-Submitted"] is None
