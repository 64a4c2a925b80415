"""Answers through the Telegram door: an agent's reply leaves by sendMessage to the chat (real
worker, real API call), a second message threads into the open case, a 429 waits exactly
the retry_after Telegram gave, a 403 (bot blocked) marks the identity unreachable."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Conversation, Event, Identity, Message
from standins.telegram_api import TelegramStandIn
from support import wait_for
from telegram_support import SECRET, TOKEN, point_at, update

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def standin(db_url, monkeypatch):
    with TelegramStandIn(token=TOKEN) as api:
        point_at(monkeypatch, api.base_url)
        yield api


def _post(base: str, name: str) -> None:
    answer = httpx.post(f"{base}/channels/telegram/webhook", json=update(name),
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=30)
    assert answer.status_code == 200, answer.text


def _conversation() -> Conversation | None:
    with session_scope() as session:
        return session.execute(select(Conversation).where(Conversation.assignee_id.is_not(None))).scalars().first()


def test_agent_reply_reaches_the_chat_and_a_second_message_threads(standin, worker, api):
    base, auth = api
    _post(base, "private_text")
    conversation = wait_for(_conversation, what="the conversation")
    wait_for(lambda: standin.sent, what="the acknowledgement")
    answer = httpx.post(f"{base}/api/conversations/{conversation.id}/reply", headers=auth("alice"),
                        json={"text": "您好，我们正在核查这笔提现，请稍候。"})
    assert answer.status_code == 201, answer.text
    wait_for(lambda: len(standin.sent) >= 2, what="the reply at the stand-in")
    reply = standin.sent[1]
    assert reply["chat_id"] == 5550001 and reply["text"] == "您好，我们正在核查这笔提现，请稍候。"

    _post(base, "private_text_second")

    def threaded() -> Message | None:
        with session_scope() as session:
            row = session.execute(select(Message).where(Message.external_id == "5550001:42")).scalars().first()
            return row if row is not None and row.status == "done" else None
    follow_up = wait_for(threaded, what="the second message to be processed")
    assert follow_up.conversation_id == conversation.id
    with session_scope() as session:
        assert len(session.execute(select(Conversation)).scalars().all()) == 1

    def outbound_settled() -> list[Message] | None:
        # The stand-in has the reply before the outbox records it sent: wait for the record.
        # Any second acknowledgement would have been queued with the processing above.
        with session_scope() as session:
            rows = session.execute(select(Message).where(Message.direction == "out")).scalars().all()
        return rows if all(m.status == "sent" for m in rows) else None
    sent = wait_for(outbound_settled, what="our messages recorded as sent")
    assert len(sent) == 2  # no second acknowledgement


def _reply_queued(base: str, auth) -> int:
    _post(base, "private_text")
    drain_inbound()
    conversation = _conversation()
    deliver_pending()  # the acknowledgement
    answer = httpx.post(f"{base}/api/conversations/{conversation.id}/reply", headers=auth("alice"),
                        json={"text": "Checking your withdrawal now."})
    assert answer.status_code == 201
    return answer.json()["message_id"]


def _row(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def test_flood_control_waits_exactly_the_retry_after_telegram_gave(standin, api, broker):
    base, auth = api
    with time_machine.travel(START, tick=False) as clock:
        reply_id = _reply_queued(base, auth)
        standin.fail_next("sendMessage", 429, retry_after=7)
        assert deliver_pending() == 0
        row = _row(reply_id)
        assert row.status == "queued" and "429" in row.error
        assert row.claimed_at.replace(tzinfo=UTC) == START + timedelta(seconds=7)
        clock.shift(6)
        deliver_pending()
        assert len(standin.sent) == 1, "retried before the retry_after Telegram gave"
        clock.shift(1)
        assert deliver_pending() == 1
    assert standin.sent[-1]["text"] == "Checking your withdrawal now."
    assert _row(reply_id).status == "sent"


def test_a_blocked_bot_marks_the_identity_unreachable_and_stops(standin, api, broker):
    base, auth = api
    with time_machine.travel(START, tick=False) as clock:
        reply_id = _reply_queued(base, auth)
        standin.fail_next("sendMessage", 403, times=10)
        deliver_pending()
        calls = standin.state.calls.count("sendMessage")
        row = _row(reply_id)
        assert row.status == "failed" and "403" in row.error
        clock.shift(3600)
        deliver_pending()
        assert standin.state.calls.count("sendMessage") == calls, "retried after a permanent refusal"
    with session_scope() as session:
        identity = session.execute(select(Identity).where(Identity.channel == "telegram")).scalars().one()
        failed = session.execute(select(Event).where(Event.kind == "delivery_failed")).scalars().one()
    assert identity.address == "5550001" and identity.undeliverable is True
    assert failed.data["permanent"] is True
