"""Moving a conversation to another pool assigns it to a member of that pool who speaks
the conversation's language (not merely the least busy member), and records who got it
in the `assigned` event."""
from __future__ import annotations

import httpx

from customer_mail import show, write_in


def test_moved_to_a_pool_it_goes_to_the_member_who_speaks_its_language(api, broker):
    base, auth = api
    cid, _ = write_in("The app crashes when I open it", subject="App crash", sender="move@example.com")
    assert show(api, cid)["language"] == "en", "the test relies on an English message"

    # accounts: bob (zh only, never assigned, so first in line by load) and carol (en).
    moved = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(), json={"pool": "accounts"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["pool"] == "accounts"
    assert moved.json()["assignee"] == "carol"

    assigned = [e for e in show(api, cid)["events"] if e["kind"] == "assigned"]
    assert assigned[-1]["data"]["agent"] == "carol"
