"""Each time the desk waits on the customer is kept in the conversation's pause history:
a second wait after the customer answered the first adds to it, the resolution clock moves
later by both, and the time paused counts both. Mail in through intake and the pipeline,
agents through the API, under a stopped clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from config.desk import get_desk
from customer_mail import show, when, write_in

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
CRASH = ("App crash", "The app crashes when I open it")


def _ask(api, cid: int, text: str) -> dict:
    base, auth = api
    asked = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                       json={"text": text, "wait_for_customer": True})
    assert asked.status_code == 201, asked.text
    assert asked.json()["state"] == "waiting_customer"
    return asked.json()


def test_a_second_wait_adds_to_the_first(api, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="twice@example.com")
    rule, _ = get_desk().sla_for(show(api, cid)["urgency"], "email")
    assert rule.clock == "calendar"  # the demo desk counts email in calendar time

    # Two hours' wait each time: 10:00-12:00 and 13:00-15:00.
    for asked_at, text in ((1, "Which version of the app do you use?"), (4, "Which phone do you use?")):
        time_machine.move_to(T0 + timedelta(hours=asked_at), tick=False)
        asked = _ask(api, cid, text)
        time_machine.move_to(T0 + timedelta(hours=asked_at + 2), tick=False)
        again, _ = write_in("Here it is.", subject=f"Re: {CRASH[0]}", sender="twice@example.com",
                            in_reply_to=asked["external_id"])
        assert again == cid

    detail = show(api, cid)
    assert detail["state"] == "open" and detail["metrics"]["paused_seconds"] == 4 * 3600
    assert when(detail["deadlines"]["resolution_due_at"]) == T0 + timedelta(seconds=rule.resolution, hours=4)
    kinds = [e["kind"] for e in detail["events"] if e["kind"] in ("paused", "resumed")]
    assert kinds == ["paused", "resumed", "paused", "resumed"]
