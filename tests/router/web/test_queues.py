"""Queue order, pagination and filters over real HTTP: a pool's queue and an agent's own
list are earliest deadline first (ties by id), pages split that order exactly,
`unassigned` and resolution filter it; conversations made by mail at frozen times."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from customer_mail import when, write_in
from router.storage.db import session_scope
from router.storage.models import Agent

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

# (minutes after T0, subject, text, urgency the rules give it): all security, so one pool,
# created so that deadline order is neither creation order nor id order, with one tie.
SECURITY_MAIL = [
    (0, "Fake site", ("I found a fake Pinecone website that copies yours, I did not enter "
                      "anything there. Just reporting it."), "normal"),
    (60, "Phishing", ("I got a phishing email pretending to be Pinecone support. I ignored it "
                      "and deleted it."), "normal"),
    (120, "Wallet emptied", "My wallet was emptied, all my ETH is gone and I made no transfer!", "critical"),
    (180, "Stolen", "My balance is zero and I made no transfer. Someone stole my USDT.", "critical"),
    (23 * 60, "Drained", "All my BTC was sent to an unknown address without my consent!", "critical"),
    (23 * 60 + 30, "Support asks for key", ("Someone claiming to be Pinecone support is asking me "
                                            "for my private key right now"), "critical"),
]


def _capacities(**by_agent: int) -> None:
    # No API sets an agent's capacity or status, so the test sets it in the database.
    with session_scope() as session:
        for agent in session.execute(select(Agent)).scalars():
            agent.capacity = by_agent.get(agent.name, agent.capacity)


def _get(api, path: str, agent: str = "alice", **params) -> list[dict]:
    base, auth = api
    response = httpx.get(base + path, headers=auth(agent), params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def security_pool(api, broker, time_machine):
    """Six security conversations, three of them left unassigned (alice takes two, dan one),
    and one general one; yields their expected security queue order (due_at, id)."""
    from config.desk import get_desk

    _capacities(alice=2, dan=1)
    expected = {}
    for minutes, subject, text, urgency in SECURITY_MAIL:
        created = T0 + timedelta(minutes=minutes)
        time_machine.move_to(created, tick=False)
        cid, _ = write_in(text, subject=subject, sender=f"s{minutes}@example.com")
        rule, _ = get_desk().sla_for(urgency, "email")
        expected[cid] = created + timedelta(seconds=rule.first_reply)
    time_machine.move_to(T0 + timedelta(hours=23, minutes=45), tick=False)
    write_in("Hello, what are your working hours?", subject="Hours", sender="g@example.com")
    order = sorted(expected, key=lambda cid: (expected[cid], cid))
    assert order != sorted(expected), "deadline order must differ from id order to test it"
    assert len(set(expected.values())) < len(expected), "the scenario needs a tie"
    return order, expected


def test_pool_queue_is_earliest_deadline_first_with_ties_by_id(api, security_pool):
    order, expected = security_pool
    rows = _get(api, "/api/pools/security/queue")
    by_id = {r["id"]: r for r in rows}
    for (_, _, text, urgency), cid in zip(SECURITY_MAIL, sorted(expected), strict=True):
        assert by_id[cid]["urgency"] == urgency, f"the test relies on {text!r} being {urgency}"
    assert [r["id"] for r in rows] == order
    assert [when(r["due_at"]) for r in rows] == [expected[cid] for cid in order]
    assert all(r["pool"] == "security" for r in rows)


def test_queue_pages_are_disjoint_and_concatenate_to_the_full_order(api, security_pool):
    order, _ = security_pool
    pages = [[r["id"] for r in _get(api, "/api/pools/security/queue", limit=4, offset=offset)]
             for offset in (0, 4, 8)]
    assert [len(p) for p in pages] == [4, 2, 0]
    assert set(pages[0]).isdisjoint(pages[1])
    assert pages[0] + pages[1] == order
    single = [_get(api, "/api/pools/security/queue", limit=1, offset=i)[0]["id"] for i in range(len(order))]
    assert single == order


def test_unassigned_lists_only_conversations_nobody_has_in_due_order(api, security_pool):
    order, _ = security_pool
    everyone = _get(api, "/api/pools/security/queue")
    waiting = [r["id"] for r in everyone if r["assignee"] is None]
    assert len(waiting) == 3, "alice and dan are full: three wait"
    rows = _get(api, "/api/pools/security/queue", unassigned="true")
    assert [r["id"] for r in rows] == waiting == [cid for cid in order if cid in waiting]
    assert all(r["assignee"] is None for r in rows)
    assert [r["id"] for r in _get(api, "/api/pools/security/queue", unassigned="true",
                                  limit=2, offset=1)] == waiting[1:3]


def test_resolved_conversations_are_not_listed(api, security_pool):
    base, auth = api
    order, _ = security_pool
    everyone = _get(api, "/api/pools/security/queue")
    mine = next(r["id"] for r in everyone if r["assignee"] == "alice")
    waiting = next(r["id"] for r in everyone if r["assignee"] is None)
    for cid in (mine, waiting):
        response = httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth())
        assert response.json()["state"] == "resolved"
    left = [r["id"] for r in _get(api, "/api/pools/security/queue")]
    assert left == [cid for cid in order if cid not in (mine, waiting)]
    assert mine not in [r["id"] for r in _get(api, "/api/me/conversations")]
    assert waiting not in [r["id"] for r in _get(api, "/api/pools/security/queue", unassigned="true")]


def test_my_conversations_are_only_mine_in_due_order(api, security_pool):
    order, _ = security_pool
    # A supervisor sees both pools; alice is not in general.
    everyone = [row for pool in ("security", "general") for row in _get(api, f"/api/pools/{pool}/queue", agent="erin")]
    for agent in ("alice", "dan", "carol"):
        theirs = [r["id"] for r in sorted(everyone, key=lambda r: (when(r["due_at"]), r["id"]))
                  if r["assignee"] == agent]
        assert theirs, f"the scenario gives {agent} a conversation"
        rows = _get(api, "/api/me/conversations", agent=agent)
        assert [r["id"] for r in rows] == theirs, agent
        dues = [when(r["due_at"]) for r in rows]
        assert dues == sorted(dues), agent
    alice = [r["id"] for r in _get(api, "/api/me/conversations")]
    assert len(alice) == 2 and alice != sorted(alice), "alice's list must be out of id order to test it"
    assert alice == [cid for cid in order if cid in alice]
    assert [r["id"] for r in _get(api, "/api/me/conversations", limit=1, offset=1)] == alice[1:]
