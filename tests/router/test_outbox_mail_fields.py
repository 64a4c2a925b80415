"""What the acknowledgement's mail carries from its row, read in the customer's mailbox: the
subject naming the case (`We received your message [#1]`), a Message-ID of ours naming the
conversation (`<msgrouter.1....@msgrouter.local>`, the README's quick start), the
conversation's language as Content-Language, and threading headers only when there is a
real Message-ID to thread to: a mail that came without one is answered without them."""
from __future__ import annotations

from sqlalchemy import select

from channels import email as email_channel
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email, wait_for

CHINESE = "你好，我昨天提现的 500 USDT 到现在还没有到账，请帮忙查一下。"


def _acknowledged(mail) -> tuple[Message, object]:
    """The mail through intake and the pipeline, its acknowledgement delivered: (row, mail received)."""
    accepted = accept(email_channel.parse(mail.as_bytes()))
    drain_inbound()
    with session_scope() as session:
        conversation_id = session.get(Message, accepted.message_id).conversation_id
        ack = session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                    Message.direction == "out")).scalars().one()
    return ack, conversation_id


def _received(sink, message_id: str):
    wait_for(lambda: any(m["Message-ID"] == message_id for m in sink.parsed()), what="the acknowledgement")
    [mail] = [m for m in sink.parsed() if m["Message-ID"] == message_id]
    return mail


def test_the_acknowledgement_mail_names_its_case_and_speaks_its_language(db_url, broker, sink):
    chinese, chinese_case = _acknowledged(make_email(sender="lin@example.com", subject="提现", text=CHINESE))
    english, english_case = _acknowledged(make_email(sender="pat@example.com", subject="Deposit",
                                                     text="My deposit of 1 ETH has not arrived yet."))
    assert deliver_pending() == 2
    for ack, case, language in ((chinese, chinese_case, "zh"), (english, english_case, "en")):
        mail = _received(sink, ack.external_id)
        assert f"[#{case}]" in mail["Subject"] and mail["Subject"] == ack.subject
        assert ack.external_id.startswith(f"<msgrouter.{case}.")
        assert mail["Content-Language"] == language


def test_a_mail_without_a_message_id_is_answered_without_threading_headers(db_url, broker, sink):
    mail = make_email(sender="kim@example.com", text="My withdrawal has not arrived.")
    del mail["Message-ID"]
    ack, _ = _acknowledged(mail)
    assert deliver_pending() == 1
    received = _received(sink, ack.external_id)
    assert (ack.in_reply_to, ack.references) == ("", [])
    assert received["In-Reply-To"] is None and received["References"] is None
