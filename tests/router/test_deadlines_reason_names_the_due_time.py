"""The deadline step's recorded reason says which reply is due and when, to the minute in
UTC, so an agent reading a conversation's reasons on the dashboard sees the deadline the
SLA gave it: the first reply for a new conversation, the next reply after a customer's
answer to an agent."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from config.desk import get_desk
from customer_mail import show, write_in

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _deadline_reasons(api, cid: int) -> list[str]:
    return [r["reason"] for r in show(api, cid)["reasons"] if r["step"] == "deadlines"]


def test_the_reason_names_the_first_reply_due_then_the_next_reply_due(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    subject = "App crash"
    cid, _ = write_in("The app crashes when I open it", subject=subject, sender="why@example.com")
    rule, _ = get_desk().sla_for(show(api, cid)["urgency"], "email")
    first_due = T0 + timedelta(seconds=rule.first_reply)
    assert any(f"first reply due {first_due:%Y-%m-%d %H:%M} UTC" in r for r in _deadline_reasons(api, cid))

    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    answer = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                        json={"text": "Please update the app to the latest version."})
    assert answer.status_code == 201, answer.text

    wrote = T0 + timedelta(hours=3)
    time_machine.move_to(wrote, tick=False)
    again, _ = write_in("I updated it and it still crashes on start.", subject=f"Re: {subject}",
                        sender="why@example.com", in_reply_to=answer.json()["external_id"])
    assert again == cid, "the customer's answer continues the conversation"
    next_due = wrote + timedelta(seconds=rule.next_reply)
    assert any(f"next reply due {next_due:%Y-%m-%d %H:%M} UTC" in r for r in _deadline_reasons(api, cid))
