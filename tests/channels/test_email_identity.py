"""A mail's identity is (channel, sender, Message-ID): anybody can write any Message-ID,
so the same id from another sender is another message; the same sender redelivering is
a no-op. The SMTP reply is the same either way and names no internal id."""
from __future__ import annotations

import re
import smtplib

from sqlalchemy import select

from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email

TAKEN_ID = "<taken.1@example.com>"


def _send(port: int, msg) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.ehlo()
        client.mail(msg["From"])
        client.rcpt(msg["To"])
        return client.data(msg.as_bytes())


def test_another_senders_message_id_is_a_new_message_and_redelivery_is_not(smtp_port, broker):
    owner = make_email(sender="owner@example.com", text="My withdrawal is stuck.", message_id=TAKEN_ID)
    stranger = make_email(sender="stranger@example.net", text="Please reset my 2FA.", message_id=TAKEN_ID)
    replies = [_send(smtp_port, owner), _send(smtp_port, stranger), _send(smtp_port, stranger),
               _send(smtp_port, owner)]
    drain_inbound()
    with session_scope() as session:
        rows = session.execute(select(Message).where(Message.direction == "in").order_by(Message.id)).scalars().all()
        stored = [(r.sender, r.text, r.external_id, r.conversation_id) for r in rows]
    assert [s[:2] for s in stored] == [("owner@example.com", "My withdrawal is stuck."),
                                       ("stranger@example.net", "Please reset my 2FA.")]
    assert all(s[2] == TAKEN_ID for s in stored)
    assert stored[0][3] != stored[1][3], "the stranger's mail has a conversation of its own"
    # New or redelivered, the sender hears the same, and no row id.
    assert set(replies) == {(250, b"2.0.0 Message accepted")}


def test_no_smtp_reply_names_an_internal_id(smtp_port, broker):
    for n in range(3):
        code, reply = _send(smtp_port, make_email(text=f"question {n}"))
        assert code == 250 and not re.search(rb"\d{2,}|message \d", reply.split(b" ", 1)[1]), reply
