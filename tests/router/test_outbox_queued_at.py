"""An outbound message is stamped with the moment of the change that queued it, on the real
clock: an acknowledgement with its pipeline batch's time (the moment its conversation was
opened), an agent's reply with the moment the conversation records as its first reply. A
stamp taken later would put our answer after the time the SLA report counts it."""
from __future__ import annotations

import httpx
from sqlalchemy import select

from channels import email as email_channel
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Message
from support import make_email


def test_our_messages_carry_the_time_of_the_change_that_queued_them(api, broker):
    base, auth = api
    accepted = accept(email_channel.parse(make_email(sender="lin@example.com",
                                                     text="My withdrawal of 300 USDT has not arrived.").as_bytes()))
    drain_inbound()
    with session_scope() as session:
        case = session.get(Conversation, session.get(Message, accepted.message_id).conversation_id)
        ack = session.execute(select(Message).where(Message.conversation_id == case.id,
                                                    Message.direction == "out")).scalars().one()
        assert ack.created_at == case.created_at
    answered = httpx.post(f"{base}/api/conversations/{case.id}/reply", headers=auth(),
                          json={"text": "We found the transfer: it is waiting for one more confirmation."})
    assert answered.status_code == 201, answered.text
    with session_scope() as session:
        reply = session.execute(select(Message).where(
            Message.external_id == answered.json()["external_id"])).scalars().one()
        assert reply.created_at == session.get(Conversation, case.id).first_replied_at
