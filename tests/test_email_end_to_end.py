"""The whole email path on the real stack: SMTP in, a real Celery worker on Redis, the
agent API, and an SMTP sink receiving the acknowledgement and the agent's answer."""
from __future__ import annotations

import smtplib

import httpx
from sqlalchemy import func, select

from router.storage.db import session_scope
from router.storage.models import Conversation, Message
from support import make_email, wait_for


def _send(port: int, msg) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(msg)


def _conversation_with_assignee() -> Conversation | None:
    with session_scope() as session:
        return session.execute(select(Conversation).where(Conversation.assignee_id.is_not(None))).scalars().first()


def test_mail_is_triaged_routed_acknowledged_and_answered(worker, smtp_port, sink, api):
    base, auth = api
    original = make_email(sender="wei@example.com", name="Wei", subject="提现一直未到账",
                          text="你好，我昨天提现的 USDT 到现在还没有到账，交易一直显示处理中，请帮忙查一下。")
    _send(smtp_port, original)

    conversation = wait_for(_conversation_with_assignee, what="the conversation to be assigned")
    assert conversation.due_at is not None and conversation.first_reply_due_at is not None
    assert conversation.language == "zh"

    # The acknowledgement reaches the customer, threaded to their mail, marked automatic.
    wait_for(lambda: sink.messages, what="the acknowledgement")
    ack = sink.parsed()[0]
    assert ack["To"] == "wei@example.com"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == original["Message-ID"]
    assert f"[#{conversation.id}]" in ack["Subject"]
    assert "助记词" in ack.get_content()  # the never-ask-for-your-mnemonic warning

    # The conversation sits in its pool's queue with an assignee, a due time and its reasons.
    headers = auth("alice")
    with session_scope() as session:
        from router.storage.models import Pool

        pool = session.get(Pool, conversation.pool_id).name
    queue = httpx.get(f"{base}/api/pools/{pool}/queue", headers=headers).json()
    row = next(r for r in queue if r["id"] == conversation.id)
    assert row["assignee"] and row["due_at"] and row["seconds_left"] > 0
    detail = httpx.get(f"{base}/api/conversations/{conversation.id}", headers=headers).json()
    steps = {r["step"] for r in detail["reasons"]}
    assert {"classify", "route", "assign", "deadlines"} <= steps

    # The agent answers; the answer reaches the customer threaded under the whole thread.
    answered = httpx.post(f"{base}/api/conversations/{conversation.id}/reply", headers=headers,
                          json={"text": "您好，我们正在核查这笔提现，请稍候。"})
    assert answered.status_code == 201, answered.text
    wait_for(lambda: len(sink.messages) >= 2, what="the agent's reply")
    reply = sink.parsed()[1]
    assert reply["In-Reply-To"] == original["Message-ID"]
    assert original["Message-ID"] in reply["References"]
    assert reply["Message-ID"].endswith("@msgrouter.local>")
    assert "Auto-Submitted" not in reply
    assert "核查" in reply.get_content()

    # The customer answers the reply: it joins the same conversation.
    follow_up = make_email(sender="wei@example.com", subject="Re: " + str(reply["Subject"]),
                           text="好的，谢谢。交易哈希我稍后发给你们。", in_reply_to=reply["Message-ID"],
                           references=[original["Message-ID"], reply["Message-ID"]])
    _send(smtp_port, follow_up)

    def threaded() -> bool:
        with session_scope() as session:
            row = session.execute(select(Message).where(
                Message.external_id == follow_up["Message-ID"])).scalars().first()
            return row is not None and row.status == "done" and row.conversation_id == conversation.id
    wait_for(threaded, what="the follow-up to thread")
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Conversation)).scalar() == 1


def test_redelivered_mail_creates_nothing_new(worker, smtp_port, sink):
    msg = make_email(subject="Fees", text="What is the fee for sending BTC?")
    for _ in range(3):
        _send(smtp_port, msg)
    wait_for(lambda: sink.messages, what="the acknowledgement")

    def settled() -> bool:
        with session_scope() as session:
            return session.execute(select(func.count()).select_from(Message).where(
                Message.direction == "in", Message.status != "done")).scalar() == 0
    wait_for(settled, what="the pipeline to finish")
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "in")).scalar() == 1
        assert session.execute(select(func.count()).select_from(Conversation)).scalar() == 1
        assert session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "out")).scalar() == 1
