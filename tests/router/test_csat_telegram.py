"""CSAT on Telegram through its real protocols: stored Update payloads POSTed to the
running web app's webhook, python-telegram-bot sending to the stand-in Bot API. The request
carries a one-time 1-5 reply keyboard; the customer's tap (or the score typed, a comment
after it) rates the resolution, is attached to the resolved conversation and opens no new
one; once rated, a digit is an ordinary message again."""
from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import func, select

from conftest import reset_caches
from customer_mail import show
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Conversation, Csat, Event, Message
from standins.telegram_api import TelegramStandIn
from telegram_support import SECRET, TOKEN, point_at, update

CHAT = 5550001


@pytest.fixture
def standin(db_url, monkeypatch):
    with TelegramStandIn(token=TOKEN) as api:
        point_at(monkeypatch, api.base_url)
        yield api


def _write(base: str, number: int, text: str) -> None:
    """The customer's message `number` in the chat, through the webhook, then the pipeline."""
    message = {**update("private_text")["message"], "message_id": number, "text": text}
    answer = httpx.post(f"{base}/channels/telegram/webhook", json=update("private_text", update_id=810000100 + number,
                                                                          message=message),
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=30)
    assert answer.status_code == 200, answer.text
    drain_inbound()


def _conversations() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Conversation)).scalar()


def test_the_keyboard_tap_rates_and_opens_nothing(standin, api, broker):
    base, auth = api
    _write(base, 41, "你好，我昨天提现的 500 USDT 到现在还没有到账，请帮忙查一下。")
    with session_scope() as session:
        cid = session.execute(select(Conversation.id)).scalar_one()
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                      json={"text": "已经重新发出，一小时内到账。"}).status_code == 201
    assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth()).status_code == 200
    deliver_pending()
    request = standin.sent[-1]
    assert request["chat_id"] == CHAT and f"#{cid}" in request["text"] and "1（很差）" in request["text"]
    markup = request["reply_markup"]
    assert markup["one_time_keyboard"] is True
    assert [[button["text"] for button in row] for row in markup["keyboard"]] == [["1", "2", "3", "4", "5"]]
    assert all("reply_markup" not in sent for sent in standin.sent[:-1])  # the reply had no keyboard

    _write(base, 42, "4 谢谢，处理得很快")
    detail = show(api, cid)
    assert detail["state"] == "resolved" and _conversations() == 1
    [rating] = detail["csat"]
    assert (rating["score"], rating["comment"], rating["rated_by"]) == (4, "谢谢，处理得很快", "telegram")
    assert detail["messages"][-1]["text"] == "4 谢谢，处理得很快"  # attached where it belongs
    assert [e["actor"] for e in detail["events"] if e["kind"] == "csat_rated"] == ["customer"]
    with session_scope() as session:
        rated = session.execute(select(Message).where(Message.direction == "in").order_by(Message.id.desc())).scalar()
        assert (rated.conversation_id, rated.status) == (cid, "done")
        # Its arrival is in the resolved conversation's history, marked as the rating.
        received = session.execute(select(Event).where(Event.kind == "received",
                                                       Event.message_id == rated.id)).scalars().one()
        assert (received.conversation_id, received.data) == (cid, {"channel": "telegram", "csat": True})
        # The rating event names the message it came in and what it said.
        survey = session.execute(select(Csat)).scalars().one()
        event = session.execute(select(Event).where(Event.kind == "csat_rated")).scalars().one()
        assert (event.conversation_id, event.message_id, event.actor, event.data) == (
            cid, rated.id, "customer",
            {"survey_id": survey.id, "score": 4, "comment": "谢谢，处理得很快", "by": "telegram"})
        assert [r["reason"] for r in session.get(Conversation, cid).reasons if r["step"] == "rating"] == \
            [f"stopped: the customer rated #{cid} 4 of 5"], "why the message opened nothing"

    # Rated once: the next "5" is an ordinary message, a new case.
    _write(base, 43, "5")
    assert _conversations() == 2
    with session_scope() as session:
        assert [s.score for s in session.execute(select(Csat)).scalars()] == [4]


def test_text_that_is_not_a_score_opens_a_new_case_and_the_request_still_waits(standin, api, broker):
    base, auth = api
    _write(base, 41, "提现没有到账")
    with session_scope() as session:
        cid = session.execute(select(Conversation.id)).scalar_one()
    httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(), json={"text": "已处理。"})
    httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth())
    deliver_pending()
    _write(base, 42, "12 USDT more is missing now")  # a number, but no score
    assert _conversations() == 2
    with session_scope() as session:
        [survey] = session.execute(select(Csat)).scalars()
        assert survey.score is None


def test_a_score_after_the_window_is_an_ordinary_message(standin, api, broker, monkeypatch):
    base, auth = api
    _write(base, 41, "提现没有到账")
    with session_scope() as session:
        cid = session.execute(select(Conversation.id)).scalar_one()
    httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(), json={"text": "已处理。"})
    httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth())
    deliver_pending()
    monkeypatch.setenv("MSGROUTER_CSAT_LINK_DAYS", "0.00001")  # under a second
    reset_caches()
    time.sleep(1.2)
    _write(base, 42, "5")
    assert _conversations() == 2
    with session_scope() as session:
        assert session.execute(select(Csat.score)).scalar() is None
