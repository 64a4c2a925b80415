"""An assignment made by a person (a lead giving a conversation to a named agent) is
recorded with that person as its actor, on the release and on the assignment alike; the
ones the desk makes itself are recorded as "system"."""
from __future__ import annotations

import httpx
from sqlalchemy import select, update

from customer_mail import show, write_in
from router.storage.db import session_scope
from router.storage.models import Agent


def test_giving_a_conversation_to_an_agent_records_who_gave_it(api, broker):
    base, auth = api
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == "dan").values(status="offline"))
    cid, _ = write_in("What are the fees for sending BTC?", subject="Fees", sender="by-hand@example.com")
    assert show(api, cid)["assignee"] == "carol"
    moved = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(), json={"agent": "dan"})
    assert moved.status_code == 200, moved.text
    assert [(e["kind"], e["actor"], e["data"]) for e in show(api, cid)["events"]
            if e["kind"] in ("assigned", "unassigned")] == [
        ("assigned", "system", {"agent": "carol"}),
        ("unassigned", "erin", {"agent_id": _id("carol"), "reason": "reassigned to dan"}),
        ("assigned", "erin", {"agent": "dan"})]


def _id(name: str) -> int:
    with session_scope() as session:
        return session.execute(select(Agent.id).where(Agent.name == name)).scalar_one()
