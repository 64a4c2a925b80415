"""The deadline step writes its decisions to the conversation's event log, where the
dashboard's history shows them: `deadline_set` when a customer's message moves the earliest
deadline, naming that message and the new due times, and nothing when it moves nothing;
`resumed` when the customer's message ends a wait on them, naming that message and why.
Mail in through intake and the pipeline, agents through the API, under a stopped clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from config.desk import get_desk
from customer_mail import show, when, write_in
from router.sla.deadlines import aware
from router.storage.db import session_scope
from router.storage.models import Conversation

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
CRASH = ("App crash", "The app crashes when I open it")


def _events(api, cid: int) -> list[tuple[str, str, int | None, dict]]:
    """(kind, actor, message id, data) of the deadline step's events, in order, the due
    times as instants."""
    found = []
    for e in show(api, cid)["events"]:
        if e["kind"] == "deadline_set":
            found.append((e["kind"], e["actor"], e["message_id"], {k: when(v) for k, v in e["data"].items()}))
        elif e["kind"] == "resumed":
            found.append((e["kind"], e["actor"], e["message_id"], e["data"]))
    return found


def _inbound_ids(api, cid: int) -> list[int]:
    return [m["id"] for m in show(api, cid)["messages"] if m["direction"] == "in"]


def test_the_step_records_each_move_of_the_deadlines_and_the_end_of_a_wait(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="log@example.com")
    detail = show(api, cid)
    rule, _ = get_desk().sla_for(detail["urgency"], "email")
    assert rule.clock == "calendar"  # the demo desk counts email in calendar time
    first_due = T0 + timedelta(seconds=rule.first_reply)

    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    asked = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                       json={"text": "Which version of the app do you use?", "wait_for_customer": True})
    assert asked.status_code == 201 and asked.json()["state"] == "waiting_customer"

    # The customer answers: the wait ends and the next-reply clock starts from their message.
    wrote = T0 + timedelta(hours=3)
    time_machine.move_to(wrote, tick=False)
    write_in("Version 3.2.1 on Android", subject=f"Re: {CRASH[0]}", sender="log@example.com",
             in_reply_to=asked.json()["external_id"])
    next_due = wrote + timedelta(seconds=rule.next_reply)
    # They write again before anyone answers: the oldest unanswered message keeps its clock,
    # nothing moves and nothing is recorded.
    time_machine.move_to(wrote + timedelta(hours=1), tick=False)
    write_in("It also crashes on my tablet", subject=f"Re: {CRASH[0]}", sender="log@example.com",
             in_reply_to=asked.json()["external_id"])

    first, answer, again = _inbound_ids(api, cid)
    assert _events(api, cid) == [
        ("deadline_set", "system", first,
         {"due_at": first_due, "first_reply_due_at": first_due, "next_reply_due_at": None}),
        ("resumed", "system", answer, {"reason": "the customer wrote"}),
        ("deadline_set", "system", answer,
         {"due_at": next_due, "first_reply_due_at": first_due, "next_reply_due_at": next_due}),
    ]
    assert when(show(api, cid)["deadlines"]["due_at"]) == next_due
    assert again not in {message for _, _, message, _ in _events(api, cid)}
    # Tick's next look at it is the next-reply clock's warning (the desk's warn_at share of it).
    with session_scope() as session:
        check_at = session.get(Conversation, int(cid)).sla_check_at
    assert aware(check_at) == wrote + timedelta(seconds=rule.next_reply * rule.warn_at)
    # The trail says which message ended the wait; the one after it resumed nothing.
    said = {r["message_id"]: r["reason"] for r in show(api, cid)["reasons"] if r["step"] == "deadlines"}
    assert said[answer].endswith("; resumed after waiting on the customer")
    assert "resumed" not in said[again]
