"""The Telegram door through its real protocols: stored Update payloads POSTed to the running
web app's webhook over HTTP, python-telegram-bot fetching files from and sending to the
stand-in Bot API on loopback, the pipeline and the outbox on the real databases."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Attachment, Conversation, Customer, Identity, Message
from standins.telegram_api import TelegramStandIn
from support import wait_for
from telegram_support import SECRET, TOKEN, point_at, update

HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def standin(db_url, monkeypatch):
    with TelegramStandIn(token=TOKEN) as api:
        point_at(monkeypatch, api.base_url)
        yield api


def _post(base: str, payload: dict, secret: str | None = SECRET) -> httpx.Response:
    headers = {HEADER: secret} if secret is not None else {}
    return httpx.post(f"{base}/channels/telegram/webhook", json=payload, headers=headers, timeout=30)


def _inbound() -> list[Message]:
    with session_scope() as session:
        return list(session.execute(select(Message).where(Message.direction == "in").order_by(Message.id)).scalars())


def _count(model) -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(model)).scalar()


def test_wrong_or_missing_secret_is_refused_and_stores_nothing(standin, api):
    base, _ = api
    for secret in (None, "", "wrong-secret", SECRET[:-1], SECRET + "x"):
        answer = _post(base, update("private_text"), secret=secret)
        assert answer.status_code == 403, (secret, answer.text)
    assert _inbound() == []
    assert _post(base, update("private_text")).status_code == 200


def test_no_token_means_the_channel_is_off(db_url, api, monkeypatch):
    monkeypatch.delenv("MSGROUTER_TELEGRAM_TOKEN", raising=False)
    monkeypatch.setenv("MSGROUTER_TELEGRAM_WEBHOOK_SECRET", SECRET)
    from conftest import reset_caches

    reset_caches()
    assert _post(api[0], update("private_text")).status_code == 404
    assert _inbound() == []


def test_update_delivered_twice_is_stored_once_with_channel_telegram(standin, worker, api):
    base, _ = api
    first = _post(base, update("private_text"))
    again = _post(base, update("private_text"))
    # Telegram numbers a redelivery the same; the same chat:message under another update id
    # (after a restart of the bot's update queue) is the same message too.
    renumbered = _post(base, update("private_text", update_id=810009999))
    assert [r.status_code for r in (first, again, renumbered)] == [200, 200, 200]
    assert [r.json()["duplicate"] for r in (first, again, renumbered)] == [False, True, True]
    assert first.json()["message_id"] == again.json()["message_id"] == renumbered.json()["message_id"]

    conversation = wait_for(_assigned_conversation, what="the conversation")
    [message] = _inbound()
    assert (message.channel, message.external_id, message.sender) == ("telegram", "5550001:41", "5550001")
    assert "500 USDT" in message.text
    assert conversation.channel == "telegram" and _count(Conversation) == 1
    with session_scope() as session:
        customer = session.get(Customer, conversation.customer_id)
        identity = session.execute(select(Identity).where(Identity.customer_id == customer.id)).scalars().one()
    assert (identity.channel, identity.address) == ("telegram", "5550001")
    assert customer.display_name == message.sender_name == "Wei Zhang (@weizhang)"
    # The acknowledgement goes back to the chat, in the customer's language.
    wait_for(lambda: standin.sent, what="the acknowledgement")
    assert standin.sent[0]["chat_id"] == 5550001 and f"#{conversation.id}" in standin.sent[0]["text"]
    assert "助记词" in standin.sent[0]["text"]


def _assigned_conversation() -> Conversation | None:
    with session_scope() as session:
        return session.execute(select(Conversation).where(Conversation.assignee_id.is_not(None))).scalars().first()


def test_group_messages_are_ignored(standin, api):
    answer = _post(api[0], update("group_text"))
    assert answer.status_code == 200 and answer.json()["kind"] == "ignored"
    assert _inbound() == []


def test_malformed_body_is_a_clear_400(standin, api):
    base = api[0]
    bad = httpx.post(f"{base}/channels/telegram/webhook", content=b"{not json", headers={HEADER: SECRET})
    assert bad.status_code == 400 and "not a Telegram update" in bad.json()["detail"]
    no_update = _post(base, {"message": {"text": "hi"}})
    assert no_update.status_code == 400
    assert _inbound() == []


def test_photo_keeps_its_caption_and_the_file_a_large_document_is_listed(standin, api):
    picture = b"\xff\xd8\xff\xe0 a screenshot of the withdrawal page"
    standin.add_file("AgACAgQAAxkBAAIBQ2large", "photos/file_7.jpg", picture)
    assert _post(api[0], update("photo_caption")).status_code == 200
    assert _post(api[0], update("document")).status_code == 200
    photo, document = _inbound()
    assert photo.text == "提现页面的截图，一直显示处理中"
    assert document.text == "银行流水"
    with session_scope() as session:
        kept = {a.message_id: a for a in session.execute(select(Attachment)).scalars()}
    assert kept[photo.id].data == picture and kept[photo.id].content_type == "image/jpeg"
    # 9 MB declared, over the 5 MB limit: listed and never downloaded.
    assert kept[document.id].data is None and kept[document.id].filename == "statement.pdf"
    assert kept[document.id].size == 9_000_000
    assert any("attachment limit" in note for note in document.parse_notes)
    assert standin.state.calls.count("getFile") == 1


def test_a_file_that_cannot_be_fetched_still_stores_the_message(standin, api):
    # The stand-in knows no such file: getFile answers 400.
    answer = _post(api[0], update("photo_caption"))
    assert answer.status_code == 200
    [photo] = _inbound()
    assert photo.text.startswith("提现页面")
    assert any("could not be fetched" in note for note in photo.parse_notes)
    assert all(TOKEN not in note for note in photo.parse_notes)


def test_edit_before_processing_replaces_the_text(standin, api):
    assert _post(api[0], update("private_text")).status_code == 200
    edited = _post(api[0], update("edited_text"))
    assert edited.status_code == 200 and edited.json()["duplicate"] is False
    assert _post(api[0], update("edited_text")).status_code == 200  # redelivered: same state
    [message] = _inbound()
    assert "800 USDT" in message.text and "500 USDT" not in message.text
    assert [n for n in message.parse_notes if n.startswith("edited")] == \
        ["edited by the customer at 2026-12-06T23:34:20+00:00"]


def test_edit_after_processing_is_a_new_message_in_the_same_conversation(standin, api):
    assert _post(api[0], update("private_text")).status_code == 200
    drain_inbound()
    for _ in range(2):  # the second is a redelivery
        assert _post(api[0], update("edited_text")).status_code == 200
    drain_inbound()
    original, version = _inbound()
    assert "500 USDT" in original.text  # what agents saw and triage decided on stays
    assert "800 USDT" in version.text and version.conversation_id == original.conversation_id
    assert version.in_reply_to == original.external_id
    assert any(f"new version of message {original.id}" in note for note in version.parse_notes)
    assert _count(Conversation) == 1


def test_start_is_greeted_in_the_users_language_and_opens_no_case(standin, api):
    for _ in range(2):  # a redelivered /start greets once
        assert _post(api[0], update("start")).json()["kind"] == "start"
    assert _post(api[0], update("start_zh")).status_code == 200
    deliver_pending()
    assert _count(Conversation) == 0 and _inbound() == []
    english, chinese = standin.sent
    assert english["chat_id"] == 5550003 and "Pinecone Wallet Support" in english["text"]
    assert "Hello Lena (@lena_m)" in english["text"]
    assert chinese["chat_id"] == 5550004 and "您好 小明" in chinese["text"] and "助记词" in chinese["text"]
