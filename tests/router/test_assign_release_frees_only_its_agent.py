"""Releasing a conversation (here: moving it to another pool) frees one place of capacity
of the agent who had it and of nobody else: every other agent's open count stays true.
The release is recorded with the agent who made it and the one it released."""
from __future__ import annotations

import httpx
from sqlalchemy import select

from customer_mail import show, write_in
from router.storage.db import session_scope
from router.storage.models import Agent


def _open_counts() -> dict[str, int]:
    with session_scope() as session:
        return dict(session.execute(select(Agent.name, Agent.open_count)).all())


def test_moving_a_conversation_frees_only_its_own_agent(api, broker):
    base, auth = api
    wallet, _ = write_in("My wallet was emptied, all my ETH is gone and I made no transfer!",
                         subject="Wallet emptied", sender="w@example.com")
    crash, _ = write_in("The app crashes when I open it", subject="App crash", sender="c@example.com")
    holder = show(api, crash)["assignee"]
    other = show(api, wallet)["assignee"]
    assert holder and other and holder != other, "the test needs two agents each holding one"
    before = _open_counts()

    moved = httpx.post(f"{base}/api/conversations/{crash}/reassign", headers=auth(), json={"pool": "security"})
    assert moved.status_code == 200, moved.text
    taker = moved.json()["assignee"]
    expected = dict(before)
    expected[holder] -= 1
    expected[taker] += 1
    assert _open_counts() == expected

    released = [e for e in show(api, crash)["events"] if e["kind"] == "unassigned"]
    assert released[-1]["actor"] == "erin", "the agent whose token made the move (the supervisor)"
    assert released[-1]["data"]["reason"] == "moved to pool security"
