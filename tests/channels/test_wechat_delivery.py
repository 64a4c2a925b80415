"""Answers through the WeChat door: an agent's reply leaves as a customer-service message to the
openid; the access token is fetched once, shared, and replaced when it expires or WeChat
calls it stale; outside the 48-hour window a reply is held and sent when the customer
writes again; rate limits and a busy system back off; an unfollow stops retries."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from channels.wechat import api as wechat_api
from channels.wechat.shared import SharedStore
from channels.wechat.tokens import AccessTokens
from config.settings import get_settings
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Conversation, Event, Identity, Message
from support import wait_for
from wechat_support import APP_ID, OPENID, push_xml, wechat_standin

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def wechat(api, monkeypatch, broker):  # broker: an empty Redis, so no token is left from another test
    with wechat_standin(monkeypatch, api[0]) as standin:
        yield standin


def _conversation() -> Conversation | None:
    with session_scope() as session:
        return session.execute(select(Conversation).where(Conversation.assignee_id.is_not(None))).scalars().first()


def _reply(base: str, auth, conversation_id: int, text: str) -> int:
    answer = httpx.post(f"{base}/api/conversations/{conversation_id}/reply", headers=auth("alice"),
                        json={"text": text})
    assert answer.status_code == 201, answer.text
    return answer.json()["message_id"]


def _row(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def _opened(wechat) -> Conversation:
    """The customer writes; the pipeline opens the case; the acknowledgement goes out."""
    assert wechat.push(push_xml("text")) == (200, "success")
    drain_inbound()
    conversation = _conversation()
    assert deliver_pending() == 1
    return conversation


def test_agent_reply_reaches_the_openid_as_a_custom_send(wechat, worker, api):
    base, auth = api
    assert wechat.push(push_xml("text")) == (200, "success")
    conversation = wait_for(_conversation, what="the conversation")
    wait_for(lambda: wechat.sent, what="the acknowledgement")
    _reply(base, auth, conversation.id, "您好，我们正在核查这笔提现，请稍候。")
    wait_for(lambda: len(wechat.sent) >= 2, what="the reply at the stand-in")
    assert wechat.sent[1]["touser"] == OPENID and wechat.sent[1]["content"] == "您好，我们正在核查这笔提现，请稍候。"
    assert wechat.calls("token") == 1  # the acknowledgement's token served the reply too


def test_the_token_is_cached_until_it_expires_and_replaced_when_refused(wechat, api):
    base, auth = api
    with time_machine.travel(START, tick=False) as clock:
        conversation = _opened(wechat)
        _reply(base, auth, conversation.id, "First answer.")
        assert deliver_pending() == 1
        assert wechat.calls("token") == 1, "fetched again while the cached token was good"

        clock.shift(7200 - 299)  # within five minutes of WeChat's expiry: counts as expired
        _reply(base, auth, conversation.id, "Second answer.")
        assert deliver_pending() == 1
        assert wechat.calls("token") == 2

        wechat.invalidate_tokens()  # another system fetched a token: ours is refused (40001)
        _reply(base, auth, conversation.id, "Third answer.")
        assert deliver_pending() == 1
        assert wechat.calls("token") == 3
    assert [s["content"] for s in wechat.sent[1:]] == ["First answer.", "Second answer.", "Third answer."]


def test_workers_share_one_token(wechat, api):
    settings = get_settings()
    fetched: list[str] = []

    def fetch() -> tuple[str, int]:
        with httpx.Client() as client:
            token = wechat_api.fetch_token(client, settings)
        fetched.append(token[0])
        return token

    # Two workers: each its own connection to the shared store (the tests' Redis).
    first = AccessTokens(SharedStore(settings.doorbell_redis_url), APP_ID, fetch)
    second = AccessTokens(SharedStore(settings.doorbell_redis_url), APP_ID, fetch)
    assert first.current() == second.current() == fetched[0] and len(fetched) == 1
    # The second learns the token is stale after the first already replaced it: no new fetch.
    replaced = first.refresh(fetched[0])
    assert second.refresh(fetched[0]) == replaced and len(fetched) == 2


def test_a_token_refused_again_after_a_fetch_is_not_fetched_for_ever(wechat, api):
    base, auth = api
    with time_machine.travel(START, tick=False):
        conversation = _opened(wechat)
        reply_id = _reply(base, auth, conversation.id, "Checking.")
        wechat.fail_next(40001, times=10)
        assert deliver_pending() == 0
    row = _row(reply_id)
    assert row.status == "queued" and "40001" in row.error
    assert wechat.calls("token") == 2  # one fetch, one replacement, then back to the outbox


def test_outside_48_hours_a_reply_is_held_and_sent_when_the_customer_writes_again(wechat, api):
    base, auth = api
    with time_machine.travel(START, tick=False) as clock:
        conversation = _opened(wechat)
        with session_scope() as session:  # the customer also wrote from this address before
            session.add(Identity(customer_id=conversation.customer_id, channel="email", address="wei@example.com"))
        clock.shift(timedelta(hours=48, minutes=1))
        reply_id = _reply(base, auth, conversation.id, "Your withdrawal has arrived.")
        assert deliver_pending() == 0
        held = _row(reply_id)
        assert held.status == "held" and "waiting for the customer to write again" in held.error
        assert "reached by email at wei@example.com" in held.error  # the agent is offered that door
        shown = httpx.get(f"{base}/api/conversations/{conversation.id}", headers=auth("alice")).json()
        assert [e["data"]["other_doors"] for e in shown["events"] if e["kind"] == "delivery_held"] == \
            [[{"channel": "email", "address": "wei@example.com"}]]
        clock.shift(timedelta(hours=30))
        deliver_pending()
        assert _row(reply_id).status == "held", "a held reply was tried again before the customer wrote"
        assert len(wechat.sent) == 1

        assert wechat.push(push_xml("text_second")) == (200, "success")  # the customer writes again
        assert _row(reply_id).status == "queued"
        deliver_pending()
    assert _row(reply_id).status == "sent"
    assert wechat.sent[-1] == {"touser": OPENID, "content": "Your withdrawal has arrived.", "at": wechat.sent[-1]["at"]}
    with session_scope() as session:
        kinds = [e.kind for e in session.execute(select(Event).where(Event.message_id == reply_id)
                                                 .order_by(Event.id)).scalars()]
    assert kinds == ["replied", "delivery_held", "delivery_released", "delivered"]


def test_a_customer_writing_while_the_reply_is_refused_gets_it_at_once(wechat, api):
    # The customer's message lands between our send and WeChat's 45015: the release it
    # triggers finds nothing held yet, so the hold itself must see the message and requeue.
    base, auth = api
    with time_machine.travel(START, tick=False) as clock:
        conversation = _opened(wechat)
        clock.shift(timedelta(hours=49))
        reply_id = _reply(base, auth, conversation.id, "Your withdrawal has arrived.")
        wechat.fail_next(45015)
        wechat.state.before_send = lambda: wechat.push(push_xml("text_second"))
        assert deliver_pending() == 0
        assert _row(reply_id).status == "queued"
        assert deliver_pending() == 1
    assert wechat.sent[-1]["content"] == "Your withdrawal has arrived."


@pytest.mark.parametrize("errcode", [45009, -1])
def test_rate_limits_and_a_busy_system_are_retried_with_backoff(wechat, api, errcode, monkeypatch):
    monkeypatch.setenv("MSGROUTER_DELIVERY_BACKOFF_JITTER", "0")  # the exact schedule
    get_settings.cache_clear()
    base, auth = api
    with time_machine.travel(START, tick=False) as clock:
        conversation = _opened(wechat)
        first = _reply(base, auth, conversation.id, "One.")
        second = _reply(base, auth, conversation.id, "Two.")
        wechat.fail_next(errcode)
        sends = wechat.calls("custom/send")
        assert deliver_pending() == (0 if errcode == 45009 else 1)
        row = _row(first)
        assert row.status == "queued" and str(errcode) in row.error
        assert row.claimed_at.replace(tzinfo=UTC) == START + timedelta(seconds=30)  # the outbox's first backoff
        if errcode == 45009:  # the account's limit: the rest of the batch waited untried
            assert wechat.calls("custom/send") == sends + 1 and _row(second).status == "queued"
        clock.shift(29)
        deliver_pending()
        assert _row(first).status == "queued", "retried before the backoff"
        clock.shift(1)
        deliver_pending()
    assert _row(first).status == _row(second).status == "sent"


def test_an_unfollowed_openid_fails_for_good_and_is_marked_unreachable(wechat, api):
    base, auth = api
    with time_machine.travel(START, tick=False) as clock:
        conversation = _opened(wechat)
        assert wechat.push(push_xml("unsubscribe")) == (200, "success")
        reply_id = _reply(base, auth, conversation.id, "Are you still there?")
        deliver_pending()
        assert _row(reply_id).status == "failed" and "43004" in _row(reply_id).error
        sends = wechat.calls("custom/send")
        clock.shift(3600)
        deliver_pending()
        assert wechat.calls("custom/send") == sends
