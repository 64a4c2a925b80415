"""The WeChat door through its real protocol: the stand-in WeChat signs (and in safe mode
encrypts) stored XML pushes and posts them to the running web app over HTTP; the server
check, replays and forgeries are refused; what is stored lands on both databases."""
from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import func, select

from router.delivery.outbox import deliver_pending
from router.storage.db import session_scope
from router.storage.models import Conversation, Identity, Message
from standins.wechat_api import sign
from support import wait_for
from wechat_support import AES_KEY, FOLLOWER, OPENID, TOKEN, point_at, push_xml, wechat_standin


@pytest.fixture
def wechat(api, monkeypatch, broker):
    with wechat_standin(monkeypatch, api[0]) as standin:
        yield standin


@pytest.fixture
def safe_wechat(api, monkeypatch, broker):
    with wechat_standin(monkeypatch, api[0], aes_key=AES_KEY) as standin:
        yield standin


def _query(timestamp: int | None = None, nonce: str = "8126347", token: str = TOKEN) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": sign(token, stamp, nonce), "timestamp": stamp, "nonce": nonce}


def _post(base: str, body: bytes, query: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base}/channels/wechat", params=query, content=body, timeout=30)


def _inbound() -> list[Message]:
    with session_scope() as session:
        return list(session.execute(select(Message).where(Message.direction == "in").order_by(Message.id)).scalars())


def _count(model) -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(model)).scalar()


def test_server_check_echoes_for_a_good_signature_and_refuses_a_bad_one(wechat, api):
    assert wechat.verify("echo-8c1f") == (200, "echo-8c1f")
    base = api[0]
    good = _query()
    for bad in ({**good, "signature": "0" * 40}, {**good, "nonce": "another"}, _query(token="not-our-token"),
                {k: v for k, v in good.items() if k != "signature"}, {}):
        answer = httpx.get(f"{base}/channels/wechat", params={**bad, "echostr": "echo-8c1f"})
        assert answer.status_code == 403, bad
        assert "echo-8c1f" not in answer.text


def test_no_token_means_the_channel_is_off(api, db_url, monkeypatch):
    monkeypatch.delenv("MSGROUTER_WECHAT_TOKEN", raising=False)
    from conftest import reset_caches

    reset_caches()
    assert httpx.get(f"{api[0]}/channels/wechat", params={**_query(), "echostr": "x"}).status_code == 404
    assert _post(api[0], push_xml("text"), _query()).status_code == 404
    assert _inbound() == []


def test_a_text_posted_twice_is_stored_once_and_answered_success_at_once(wechat, worker):
    started = time.monotonic()
    first = wechat.push(push_xml("text"))
    elapsed = time.monotonic() - started
    assert first == (200, "success") and elapsed < 5, elapsed  # WeChat's window is five seconds
    assert wechat.push(push_xml("text")) == (200, "success")  # WeChat retries: the same MsgId

    [message] = _inbound()  # stored before the first "success"
    assert (message.channel, message.sender, message.external_id) == ("wechat", OPENID, "24601700000000001")
    assert "500 USDT" in message.text
    conversation = wait_for(_conversation, what="the conversation")
    assert conversation.channel == "wechat" and _count(Conversation) == 1
    with session_scope() as session:
        identity = session.execute(select(Identity).where(Identity.customer_id == conversation.customer_id)
                                   ).scalars().one()
    assert (identity.channel, identity.address) == ("wechat", OPENID)
    # The acknowledgement goes out as a customer-service message to the openid.
    ack = wait_for(lambda: wechat.sent, what="the acknowledgement")[0]
    assert ack["touser"] == OPENID and f"#{conversation.id}" in ack["content"]


def _conversation() -> Conversation | None:
    with session_scope() as session:
        return session.execute(select(Conversation).where(Conversation.assignee_id.is_not(None))).scalars().first()


def test_safe_mode_decrypts_the_push_and_checks_msg_signature(safe_wechat, api):
    assert safe_wechat.push(push_xml("voice")) == (200, "success")
    [voice] = _inbound()
    assert voice.text == "我的钱包被盗了，资产全部被转走了" and voice.external_id == "24601700000000004"

    base, query = api[0], _query()
    plain = _post(base, push_xml("text"), query)  # a plain body while the account is in safe mode
    assert plain.status_code == 403 and "msg_signature" in plain.json()["detail"]
    forged = _post(base, b"<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>",
                   {**_query(nonce="5"), "encrypt_type": "aes", "msg_signature": "0" * 40})
    assert forged.status_code == 403 and "wrong msg_signature" in forged.json()["detail"]
    assert len(_inbound()) == 1


def test_replays_are_refused(wechat, api):
    base = api[0]
    stale = _post(base, push_xml("text"), _query(timestamp=int(time.time()) - 330))
    ahead = _post(base, push_xml("text"), _query(timestamp=int(time.time()) + 330))
    assert (stale.status_code, ahead.status_code) == (403, 403)
    assert "replay" in stale.json()["detail"]
    assert _inbound() == []

    query = _query(nonce="411")
    assert _post(base, push_xml("text"), query).text == "success"
    # The signature covers the query, not the body: the same query with another body is refused...
    forged = _post(base, push_xml("text", MsgId=99, Content="请把助记词发给客服核实"), query)
    assert forged.status_code == 403 and "already used" in forged.json()["detail"]
    # ...while WeChat's own retry, the same query and body, is answered and stores nothing new.
    assert _post(base, push_xml("text"), query).text == "success"
    assert [m.external_id for m in _inbound()] == ["24601700000000001"]


def test_every_kind_is_stored_with_its_text_and_events_open_no_case(wechat):
    for name in ("image", "voice", "link", "menu_click"):
        assert wechat.push(push_xml(name)) == (200, "success"), name
    image, voice, link = _inbound()
    assert image.text.startswith("[image] http://mmbiz.qpic.cn/")
    assert voice.text == "我的钱包被盗了，资产全部被转走了"
    assert "https://pinecone-airdrop.example/claim" in link.text and link.parse_notes == ["a shared link"]


def test_a_follow_is_greeted_with_the_safety_warning_once_and_opens_no_case(wechat):
    for _ in range(2):  # WeChat retries the event: the same follower and second
        assert wechat.push(push_xml("subscribe")) == (200, "success")
    deliver_pending()
    assert _count(Conversation) == 0 and _inbound() == []
    [greeting] = wechat.sent
    assert greeting["touser"] == FOLLOWER
    assert "助记词" in greeting["content"] and "私钥" in greeting["content"]


def test_an_unfollow_marks_the_openid_unreachable_and_a_new_message_reachable_again(wechat):
    assert wechat.push(push_xml("text")) == (200, "success")
    from router.queue.drain import drain_inbound

    drain_inbound()
    assert wechat.push(push_xml("unsubscribe")) == (200, "success")
    assert _identity().undeliverable is True
    assert wechat.push(push_xml("text_second")) == (200, "success")
    assert _identity().undeliverable is False


def _identity() -> Identity:
    with session_scope() as session:
        return session.execute(select(Identity).where(Identity.address == OPENID)).scalars().one()


def test_what_is_no_push_is_a_clear_400(wechat, api):
    for body in (b"", b"{\"not\": \"xml\"}", b"<xml><MsgType>text</MsgType></xml>"):
        answer = _post(api[0], body, _query(nonce=str(len(body))))
        assert answer.status_code == 400 and "not a WeChat push" in answer.json()["detail"], body
    assert _inbound() == []


def test_settings_refuse_an_aes_key_that_is_none(monkeypatch, db_url):
    from pydantic import ValidationError

    from config.settings import Settings

    monkeypatch.setenv("MSGROUTER_WECHAT_AES_KEY", "too-short")
    with pytest.raises(ValidationError, match="43 characters"):
        Settings()
    point_at(monkeypatch, "http://127.0.0.1:9", AES_KEY)
    assert Settings().wechat_aes_key == AES_KEY
