"""CSAT through the WeChat door (and the rating page in Chinese): the request leaves as a
customer-service message to the openid, carrying the signed link; the link's page asks in
the conversation's language and takes the rating. Rating posts are limited per client IP."""
from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from conftest import reset_caches
from csat_support import rate
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Conversation, Csat
from wechat_support import OPENID, push_xml, wechat_standin

LINK = re.compile(r"/csat/([A-Za-z0-9_.\-]+)")


@pytest.fixture
def wechat(api, monkeypatch, broker):
    with wechat_standin(monkeypatch, api[0]) as standin:
        yield standin


def _asked(wechat, api) -> str:
    """The customer writes, is answered and resolved; returns the token WeChat carried."""
    base, auth = api
    assert wechat.push(push_xml("text")) == (200, "success")
    drain_inbound()
    with session_scope() as session:
        cid = session.execute(select(Conversation.id)).scalar_one()
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                      json={"text": "您好，已经处理好了。"}).status_code == 201
    assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth()).status_code == 200
    deliver_pending()
    request = wechat.sent[-1]
    assert request["touser"] == OPENID and f"#{cid}" in request["content"]
    found = LINK.search(request["content"])
    assert found, request["content"]
    return found.group(1)


def test_the_wechat_customer_rates_by_the_link_in_chinese(wechat, api):
    base, _ = api
    token = _asked(wechat, api)
    page = httpx.get(f"{base}/csat/{token}")
    assert page.status_code == 200 and 'lang="zh"' in page.text and "请为我们的服务评分" in page.text
    thanks = rate(base, token, "5", "很满意")
    assert thanks.status_code == 200 and "感谢您的评分" in thanks.text
    with session_scope() as session:
        [survey] = session.execute(select(Csat)).scalars()
    assert (survey.channel, survey.score, survey.comment, survey.rated_by) == ("wechat", 5, "很满意", "link")


def test_rating_posts_are_limited_per_client(wechat, api, monkeypatch):
    base, _ = api
    token = _asked(wechat, api)
    monkeypatch.setenv("MSGROUTER_CSAT_RATE_PER_IP", "2 per hour")
    reset_caches()
    assert [rate(base, token, "x").status_code for _ in range(2)] == [422, 422]  # counted, refused as wrong
    busy = rate(base, token, "4")
    assert busy.status_code == 429 and int(busy.headers["Retry-After"]) > 0
    with session_scope() as session:
        assert session.execute(select(Csat.score)).scalar() is None
