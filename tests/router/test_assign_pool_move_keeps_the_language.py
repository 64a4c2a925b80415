"""Moving a conversation to another pool assigns it to a member of that pool who speaks
the conversation's language (not merely the least busy member), and records who got it
in the `assigned` event, and when, as the agent's last assignment (which breaks the next
tie between equally loaded members)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from customer_mail import show, write_in
from router.storage.db import session_scope
from router.storage.models import Agent

MOVED_AT = datetime(2031, 4, 7, 15, 30, tzinfo=UTC)


def test_moved_to_a_pool_it_goes_to_the_member_who_speaks_its_language(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(MOVED_AT - timedelta(hours=1), tick=False)
    cid, _ = write_in("The app crashes when I open it", subject="App crash", sender="move@example.com")
    assert show(api, cid)["language"] == "en", "the test relies on an English message"

    time_machine.move_to(MOVED_AT, tick=False)
    # accounts: bob (zh only, never assigned, so first in line by load) and carol (en).
    moved = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(), json={"pool": "accounts"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["pool"] == "accounts"
    assert moved.json()["assignee"] == "carol"

    assigned = [e for e in show(api, cid)["events"] if e["kind"] == "assigned"]
    assert assigned[-1]["data"]["agent"] == "carol"
    with session_scope() as session:
        carol = session.execute(select(Agent).where(Agent.name == "carol")).scalars().one()
        at = carol.last_assigned_at
    assert (at if at.tzinfo else at.replace(tzinfo=UTC)) == MOVED_AT
