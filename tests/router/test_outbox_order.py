"""A customer gets our messages in the order we wrote them: the acknowledgement, then an
agent's two replies, all still queued when delivery runs, go out in one batch over one
connection in that order."""
from __future__ import annotations

import httpx
from sqlalchemy import select

from channels import email as email_channel
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def test_our_messages_reach_the_customer_in_the_order_written(api, broker, sink):
    base, auth = api
    accepted = accept(email_channel.parse(make_email(sender="lin@example.com",
                                                     text="My withdrawal of 300 USDT has not arrived.").as_bytes()))
    drain_inbound()
    with session_scope() as session:
        case = session.get(Message, accepted.message_id).conversation_id
    for text in ("We are looking into it.", "Found it: one more confirmation and it is there."):
        answered = httpx.post(f"{base}/api/conversations/{case}/reply", headers=auth(), json={"text": text})
        assert answered.status_code == 201, answered.text
    with session_scope() as session:
        written = list(session.execute(select(Message.external_id).where(
            Message.conversation_id == case, Message.direction == "out").order_by(Message.id)).scalars())
    assert deliver_pending() == 3
    assert [m["Message-ID"] for m in sink.parsed()] == written
