"""The in-app chat over a real WebSocket client against the running app, with a real
Celery worker on Redis: signed connections only, messages stored once and acknowledged
after the commit, agents' replies pushed live or kept for the next connect, and error
frames (not dropped sockets) for oversized messages and floods."""
from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select
from websockets.exceptions import InvalidStatus

from channels.chat.signature import sign
from chat_client import SECRET, chat_url, frames_until, open_chat, send
from conftest import reset_caches
from router.desk.tokens import issue_token
from router.storage.db import session_scope
from router.storage.models import Conversation, Identity, Message
from support import serve_app, wait_for


@pytest.fixture
def chat_env(monkeypatch, db_url):
    monkeypatch.setenv("MSGROUTER_CHAT_SECRET", SECRET)
    # Long enough that a reply arriving in a test came by its announcement, not by the poll.
    monkeypatch.setenv("MSGROUTER_CHAT_POLL_SECONDS", "120")
    reset_caches()


@pytest.fixture
def desk(chat_env, worker):
    """The web app (with the chat) and a worker; yields (base URL, agent auth header)."""
    from router.desk.tokens import issue_token
    from router.web.app import create_app

    def auth(agent: str = "alice") -> dict[str, str]:
        with session_scope() as session:
            return {"Authorization": f"Bearer {issue_token(session, agent, actor='test')}"}

    with serve_app(create_app()) as base:
        yield base, auth


def _chat_messages(customer: str, direction: str = "in") -> list[Message]:
    with session_scope() as session:
        return list(session.execute(select(Message).where(
            Message.channel == "chat", Message.direction == direction,
            (Message.sender if direction == "in" else Message.recipient) == customer)
            .order_by(Message.id)).scalars())


def _conversation_of(customer: str) -> Conversation | None:
    with session_scope() as session:
        return session.execute(select(Conversation).join(Identity, Identity.customer_id == Conversation.customer_id)
                               .where(Identity.channel == "chat", Identity.address == customer,
                                      Conversation.assignee_id.is_not(None))).scalars().first()


def _refused_status(url: str) -> int:
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=10).close()
    return refused.value.response.status_code


def test_signed_connection_is_accepted_and_forged_ones_refused(desk):
    base, _ = desk
    with open_chat(base, "cust-1") as (_, history):
        assert history == [{"type": "ready", "last_reply_id": 0}]
    assert _refused_status(chat_url(base, "cust-1", signature="")) == 403
    assert _refused_status(chat_url(base, "cust-1", signature="0" * 64)) == 403
    # A real signature, of somebody else: still not this customer.
    assert _refused_status(chat_url(base, "cust-1", signature=sign(SECRET, "cust-2"))) == 403
    assert _refused_status(chat_url(base, "cust-1", signature=sign("another secret", "cust-1"))) == 403


def test_without_a_secret_the_chat_is_off(db_url, monkeypatch):
    monkeypatch.delenv("MSGROUTER_CHAT_SECRET", raising=False)
    reset_caches()
    from router.web.app import create_app

    with serve_app(create_app()) as base:
        assert _refused_status(chat_url(base, "cust-1")) == 403


def test_message_is_acknowledged_once_stored_and_a_resend_is_stored_once(desk):
    base, _ = desk
    with open_chat(base, "cust-7") as (ws, _):
        send(ws, "My deposit of 200 USDT has not shown up", client_id="m-1")
        ack = frames_until(ws, lambda f: f["type"] == "ack")[-1]
        # The row exists when the ack arrives: no waiting.
        stored = _chat_messages("cust-7")
        assert [m.id for m in stored] == [ack["id"]] and stored[0].text.startswith("My deposit")
        assert ack == {"type": "ack", "client_id": "m-1", "id": ack["id"], "duplicate": False}
    # Say the connection dropped before the client saw the ack: it sends again.
    with open_chat(base, "cust-7") as (ws, _):
        send(ws, "My deposit of 200 USDT has not shown up", client_id="m-1")
        again = frames_until(ws, lambda f: f["type"] == "ack")[-1]
        assert again == {"type": "ack", "client_id": "m-1", "id": ack["id"], "duplicate": True}
    assert len(_chat_messages("cust-7")) == 1
    # The same client id from another customer is another message.
    with open_chat(base, "cust-8") as (other, _):
        send(other, "hello", client_id="m-1")
        assert frames_until(other, lambda f: f["type"] == "ack")[-1]["duplicate"] is False


def test_agent_reply_is_pushed_live(desk):
    base, auth = desk
    with open_chat(base, "cust-live") as (ws, _):
        send(ws, "The app crashes every time I open the swap page", client_id="c1")
        frames_until(ws, lambda f: f["type"] == "ack")
        conversation = wait_for(lambda: _conversation_of("cust-live"), what="the chat conversation to be assigned")
        assert conversation.channel == "chat"
        # The acknowledgement is the desk's first, automatic reply.
        automatic = frames_until(ws, lambda f: f["type"] == "reply")[-1]
        assert automatic["automatic"] is True and f"#{conversation.id}" in automatic["text"]
        answered = httpx.post(f"{base}/api/conversations/{conversation.id}/reply",
                              headers=auth(conversation_assignee(conversation)),
                              json={"text": "Sorry about that! Which version of the app do you use?"})
        assert answered.status_code == 201, answered.text
        reply = frames_until(ws, lambda f: f["type"] == "reply" and not f["automatic"])[-1]
        assert reply["text"] == "Sorry about that! Which version of the app do you use?"
        assert reply["id"] == answered.json()["message_id"] > automatic["id"]
        assert _status(reply["id"]) == "sent"
        # The customer answers, into the same conversation.
        send(ws, "Version 3.2.1", client_id="c2")
        ack = frames_until(ws, lambda f: f["type"] == "ack")[-1]
        wait_for(lambda: _message_conversation(ack["id"]), what="the answer to be threaded")
        assert _message_conversation(ack["id"]) == conversation.id


def _message_conversation(message_id: int) -> int | None:
    with session_scope() as session:
        return session.get(Message, message_id).conversation_id


def _status(message_id: int) -> str:
    with session_scope() as session:
        return session.get(Message, message_id).status


def test_offline_reply_is_delivered_on_reconnect_with_the_history(desk):
    base, auth = desk
    with open_chat(base, "cust-away") as (ws, _):
        send(ws, "How long does a withdrawal to my bank take?", client_id="q1")
        first_ack = frames_until(ws, lambda f: f["type"] == "ack")[-1]
        automatic = frames_until(ws, lambda f: f["type"] == "reply")[-1]
    # The customer is offline now, having seen the automatic reply.
    conversation = wait_for(lambda: _conversation_of("cust-away"), what="the conversation")
    answered = httpx.post(f"{base}/api/conversations/{conversation.id}/reply",
                          headers=auth(conversation_assignee(conversation)),
                          json={"text": "Usually one business day."})
    reply_id = answered.json()["message_id"]
    wait_for(lambda: _status(reply_id) == "sent", what="the reply to be sent")

    with open_chat(base, "cust-away", after=automatic["id"]) as (_, history):
        assert [(f["type"], f.get("id")) for f in history] == [("reply", reply_id), ("ready", None)]
        assert history[0]["text"] == "Usually one business day." and history[-1]["last_reply_id"] == reply_id
    # A new device, with nothing seen: the whole history, in order.
    with open_chat(base, "cust-away") as (_, history):
        assert [(f["type"], f.get("id")) for f in history] == [
            ("message", first_ack["id"]), ("reply", automatic["id"]), ("reply", reply_id), ("ready", None)]


def test_oversized_messages_and_floods_get_error_frames_not_a_dropped_socket(desk, monkeypatch):
    monkeypatch.setenv("MSGROUTER_CHAT_MAX_MESSAGE_CHARS", "50")
    monkeypatch.setenv("MSGROUTER_CHAT_RATE_LIMIT", "3 per 30 seconds")
    from config.settings import get_settings

    get_settings.cache_clear()
    base, _ = desk
    with open_chat(base, "cust-flood") as (ws, _):
        send(ws, "x" * 51, client_id="big")
        error = frames_until(ws, lambda f: f["type"] == "error")[-1]
        assert error["code"] == "too_large" and error["client_id"] == "big" and "50" in error["detail"]
        ws.send("{not json")
        assert frames_until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_frame"
        # The oversized and the broken frame counted: one message more is allowed, then none.
        send(ws, "hello", client_id="ok")
        assert frames_until(ws, lambda f: f["type"] in ("ack", "error"))[-1]["type"] == "ack"
        for i in range(3):
            send(ws, f"again {i}", client_id=f"flood-{i}")
        errors = [frames_until(ws, lambda f: f["type"] in ("ack", "error"))[-1] for _ in range(3)]
        assert [e["code"] for e in errors] == ["rate_limited"] * 3
        assert [e["client_id"] for e in errors] == ["flood-0", "flood-1", "flood-2"]
        assert all(0 < e["retry_after"] <= 30 for e in errors)
        ws.send(json.dumps({"type": "typing"}))  # the socket is still open: it still answers
        assert frames_until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_frame"
    assert [m.text for m in _chat_messages("cust-flood")] == ["hello"]


def test_the_embedded_desk_pushes_replies_through_in_process_announcements(chat_env, monkeypatch, broker):
    """`msgrouter run` has no Redis: the worker (here the task functions, called in this
    process) and the web app share the process, and the announcement never leaves it."""
    monkeypatch.setenv("MSGROUTER_BROKER_URL", "memory://localhost/")
    monkeypatch.delenv("MSGROUTER_REDIS_URL", raising=False)
    reset_caches()
    from config.settings import get_settings
    from router.delivery.outbox import deliver_pending
    from router.queue.drain import drain_inbound
    from router.web.app import create_app

    assert get_settings().doorbell_redis_url is None
    with serve_app(create_app()) as base, open_chat(base, "cust-embedded") as (ws, _):
        send(ws, "Is staking available in the app?", client_id="e1")
        frames_until(ws, lambda f: f["type"] == "ack")
        drain_inbound()
        deliver_pending()
        assert frames_until(ws, lambda f: f["type"] == "reply", timeout=5)[-1]["automatic"] is True
        conversation = _conversation_of("cust-embedded")
        with session_scope() as session:
            token = issue_token(session, conversation_assignee(conversation), actor="test")
        answered = httpx.post(f"{base}/api/conversations/{conversation.id}/reply",
                              headers={"Authorization": f"Bearer {token}"}, json={"text": "Not yet, soon."})
        assert answered.status_code == 201
        deliver_pending()
        reply = frames_until(ws, lambda f: f["type"] == "reply" and not f["automatic"], timeout=5)[-1]
        assert reply["text"] == "Not yet, soon."


def test_a_reply_older_than_the_customers_last_message_still_arrives(chat_env, monkeypatch, broker):
    """Ids order rows by creation, not by delivery: a reply queued before the customer's
    next message is sent after it. The `after` cursor counts replies only, so it is not
    skipped (the task functions are called by hand to force that order)."""
    monkeypatch.setenv("MSGROUTER_BROKER_URL", "memory://localhost/")
    reset_caches()
    from router.delivery.outbox import deliver_pending
    from router.queue.drain import drain_inbound
    from router.web.app import create_app

    with serve_app(create_app()) as base:
        with open_chat(base, "cust-order") as (ws, _):
            send(ws, "Is staking available in the app?", client_id="o1")
            frames_until(ws, lambda f: f["type"] == "ack")
            drain_inbound()
            deliver_pending()
            seen = frames_until(ws, lambda f: f["type"] == "reply", timeout=5)[-1]["id"]
        conversation = _conversation_of("cust-order")
        with session_scope() as session:
            token = issue_token(session, conversation_assignee(conversation), actor="test")
        late = httpx.post(f"{base}/api/conversations/{conversation.id}/reply",
                          headers={"Authorization": f"Bearer {token}"}, json={"text": "Staking comes in May."})
        late_id = late.json()["message_id"]  # queued, not yet delivered
        with open_chat(base, "cust-order", after=seen) as (ws, _):
            send(ws, "And lending?", client_id="o2")
            newer = frames_until(ws, lambda f: f["type"] == "ack")[-1]["id"]
            assert newer > late_id
            drain_inbound()
        # The customer's message is in the history the next connect replays; the reply
        # queued before it is still to come, and comes when it is sent.
        with open_chat(base, "cust-order", after=seen) as (ws, history):
            assert [(f["type"], f.get("id")) for f in history] == [("message", newer), ("ready", None)]
            assert history[-1]["last_reply_id"] == seen
            deliver_pending()
            reply = frames_until(ws, lambda f: f["type"] == "reply", timeout=5)[-1]
            assert (reply["id"], reply["text"]) == (late_id, "Staking comes in May.")


def conversation_assignee(conversation: Conversation) -> str:
    from router.storage.models import Agent

    with session_scope() as session:
        return session.get(Agent, conversation.assignee_id).name
