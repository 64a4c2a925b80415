"""The acknowledgement on every door: a chat customer is answered in the chat, once per
conversation; and the cap counts the mailbox an answer reaches, so a web form (answered by
mail) and mail from the same mailbox, however its address is written, share one cap."""
from __future__ import annotations

import json

from sqlalchemy import select

from channels import chat, webform
from config.desk import get_desk
from pipeline_support import delivered, ingest
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def _chat(customer: str, text: str) -> None:
    frame = json.dumps({"type": "message", "text": text})
    accept(chat.parse(frame, customer=customer, max_chars=4000))
    drain_inbound()


def _acknowledgements(channel: str, recipient: str) -> list[Message]:
    with session_scope() as session:
        return list(session.execute(select(Message).where(
            Message.direction == "out", Message.channel == channel, Message.recipient == recipient,
            Message.automatic.is_(True)).order_by(Message.id)).scalars())


def test_a_chat_customer_is_acknowledged_in_the_chat_once_per_conversation(db_url, broker):
    _chat("cust-7", "The app shows my withdrawal as pending since yesterday.")
    _chat("cust-7", "It is 300 USDT, sent to my hardware wallet.")
    with session_scope() as session:
        statuses = set(session.execute(select(Message.status).where(Message.direction == "in")).scalars())
    assert statuses == {"done"}
    acks = _acknowledgements("chat", "cust-7")
    assert len(acks) == 1
    assert acks[0].text  # the template's words, in the chat


def _form(address: str, n: int) -> None:
    fields = {"name": "Lin", "email": address, "subject": f"Form question {n}",
              "message": f"How do I change the display currency? (asking for the {n}th time)"}
    accept(webform.parse(fields, reference=f"WF-TEST{n:06d}"))
    drain_inbound()


def test_a_form_and_mail_from_one_mailbox_share_its_cap(db_url, broker, sink):
    cap = get_desk().acknowledgement.max_per_customer
    # The form's address written with dots and tags, the mail's plainly: one gmail mailbox.
    # Each spelling is a customer of its own (an identity is its address), so nothing but
    # the cap stands between the last of them and an answer.
    for n in range(cap):
        _form(f"Lin.Wei+form{n}@gmail.com", n)
    ingest(make_email(sender="linwei@gmail.com", subject="Mail question",
                      text="Is there a fee to receive USDT?"))
    mails = delivered(sink)
    assert len(mails) == cap
    assert [m["To"] for m in mails] == [f"Lin.Wei+form{n}@gmail.com" for n in range(cap)]
