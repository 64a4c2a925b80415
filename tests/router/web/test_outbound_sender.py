"""What the API shows as the sender of our own messages: the desk's From address for
email (the address the customer sees), with the agent who wrote a reply as author."""
from __future__ import annotations

import smtplib

import httpx
from sqlalchemy import select

from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def test_outbound_messages_show_the_desks_address_and_the_author(api, smtp_port, broker, monkeypatch):
    monkeypatch.setenv("MSGROUTER_MAIL_FROM", "helpdesk@wallet.example")
    from conftest import reset_caches

    reset_caches()
    base, auth = api
    msg = make_email(sender="wei@example.com", subject="Fees", text="What are the fees for sending BTC?")
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(msg)
    drain_inbound()
    with session_scope() as session:
        case = session.execute(select(Message.conversation_id).where(
            Message.external_id == msg["Message-ID"])).scalar_one()
    headers = auth("dan")  # a member of the general pool, where the fee question goes
    sent = httpx.post(f"{base}/api/conversations/{case}/reply", headers=headers,
                      json={"text": "The fee depends on the network load; the app shows it before you send."})
    assert sent.status_code == 201

    messages = httpx.get(f"{base}/api/conversations/{case}", headers=headers).json()["messages"]
    inbound = [m for m in messages if m["direction"] == "in"]
    ack, reply = [m for m in messages if m["direction"] == "out"]
    assert [m["sender"] for m in inbound] == ["wei@example.com"]
    assert ack["automatic"] and ack["sender"] == "helpdesk@wallet.example" and ack["author"] is None
    assert reply["sender"] == "helpdesk@wallet.example" and reply["author"] == "dan"
    assert reply["sender_name"] == ack["sender_name"] != ""
