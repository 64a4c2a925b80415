"""Resolving a conversation gives its agent exactly one place back, and never takes their
open count below zero, even when it was already zero (a count set by hand, an agent
reset by a script); the release is recorded with the agent and the reason."""
from __future__ import annotations

import httpx
from sqlalchemy import select, update

from customer_mail import show, write_in
from router.storage.db import session_scope
from router.storage.models import Agent

FEES = "What are the fees for sending BTC?"  # pool general: carol, dan


def _carol() -> Agent:
    with session_scope() as session:
        return session.execute(select(Agent).where(Agent.name == "carol")).scalar_one()


def _resolve(api, cid: int) -> None:
    base, auth = api
    response = httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth("carol"))
    assert response.status_code == 200, response.text


def test_resolving_gives_back_exactly_one_place_and_never_goes_below_zero(api, broker):
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == "dan").values(status="offline"))
    first, _ = write_in(FEES, subject="Fees", sender="one@example.com")
    second, _ = write_in("Is the fee the same for sending ETH?", subject="ETH fees", sender="two@example.com")
    assert [show(api, c)["assignee"] for c in (first, second)] == ["carol", "carol"]
    assert _carol().open_count == 2

    _resolve(api, first)
    assert _carol().open_count == 1
    _resolve(api, second)
    assert _carol().open_count == 0

    third, _ = write_in("And for USDT, is the fee the same?", subject="USDT fees", sender="three@example.com")
    assert show(api, third)["assignee"] == "carol"
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == "carol").values(open_count=0))
    _resolve(api, third)
    assert _carol().open_count == 0
    released = [e for e in show(api, third)["events"] if e["kind"] == "unassigned"]
    assert [(e["actor"], e["data"]) for e in released] == [("carol", {"agent_id": _carol().id, "reason": "resolved"})]
