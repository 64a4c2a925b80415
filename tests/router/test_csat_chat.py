"""CSAT through the in-app chat, over a real WebSocket client against the running app and a
real worker: the rating request is pushed into the customer's chat with the signed link,
and the link rates the resolution."""
from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from chat_client import SECRET, frames_until, open_chat, send
from conftest import reset_caches
from csat_support import rate
from router.storage.db import session_scope
from router.storage.models import Conversation, Csat
from support import serve_app, wait_for

LINK = re.compile(r"/csat/([A-Za-z0-9_.\-]+)")


@pytest.fixture
def desk(monkeypatch, db_url, worker):
    from router.desk.tokens import issue_token
    from router.web.app import create_app

    monkeypatch.setenv("MSGROUTER_CHAT_SECRET", SECRET)
    reset_caches()

    def auth(agent: str = "erin") -> dict[str, str]:
        with session_scope() as session:
            return {"Authorization": f"Bearer {issue_token(session, agent, actor='test')}"}

    with serve_app(create_app()) as base:
        yield base, auth


def _conversation() -> int | None:
    with session_scope() as session:
        return session.execute(select(Conversation.id).where(Conversation.channel == "chat")).scalar()


def test_the_chat_customer_gets_the_link_and_rates(desk):
    base, auth = desk
    with open_chat(base, "cust-csat") as (ws, _):
        send(ws, "The app crashes every time I open the swap page", client_id="c1")
        cid = wait_for(_conversation, what="the chat conversation")
        assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                          json={"text": "Fixed in version 3.2.2, please update."}).status_code == 201
        frames_until(ws, lambda f: f["type"] == "reply" and not f["automatic"])
        assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth()).status_code == 200
        request = frames_until(ws, lambda f: f["type"] == "reply" and "/csat/" in f["text"])[-1]
    assert request["automatic"] is True and f"#{cid}" in request["text"]
    found = LINK.search(request["text"])
    assert found
    assert rate(base, found.group(1), "3", "ok now").status_code == 200
    with session_scope() as session:
        [survey] = session.execute(select(Csat)).scalars()
    assert (survey.channel, survey.score, survey.rated_by) == ("chat", 3, "link")
