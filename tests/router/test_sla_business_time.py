"""Business-time deadlines with a controlled clock: a mail late on Friday waits for Monday
and skips the lunch break; a public holiday is skipped; the 24x7 security pool counts
every hour; a reply that waits on the customer stops the clocks until they write, the
next-reply clock then runs from their message, and the resolution clock is worked out
again from the pause history. Mail in through intake and the pipeline, agents through
the API, deadlines read back from the API."""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from customer_mail import show, when, write_in
from sla_desk import business_desk, local

CRASH = ("App crash", "The app crashes when I open it")  # technical, normal: the tech pool (office)
EMPTIED = ("Wallet emptied", "My wallet was emptied, all my ETH is gone and I made no transfer!")


@pytest.fixture
def desk(tmp_path, monkeypatch):
    return business_desk(tmp_path, monkeypatch)


def _due(api, cid: int) -> dict:
    return {k: when(v) for k, v in show(api, cid)["deadlines"].items() if k != "seconds_left"}


def test_friday_1755_mail_is_due_monday_afternoon_after_the_lunch_break(desk, api, broker, time_machine):
    # 5 minutes on Friday, Monday 09:00-12:00, lunch, 13:00-13:55: four business hours.
    time_machine.move_to(local(2026, 3, 6, 17, 55), tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="fri@example.com")
    detail = show(api, cid)
    assert (detail["pool"], detail["urgency"]) == ("tech", "normal")
    assert _due(api, cid)["first_reply_due_at"] == local(2026, 3, 9, 13, 55)
    first = next(d for d in detail["sla"]["deadlines"] if d["deadline"] == "first_reply")
    assert (first["clock"], first["state"]) == ("business", "running")
    # 16 business hours: 5 min Fri, Mon 8 h, Tue 7 h 55 min -> Tue 17:55.
    assert _due(api, cid)["resolution_due_at"] == local(2026, 3, 10, 17, 55)


def test_a_public_holiday_is_skipped(desk, api, broker, time_machine):
    # Thu 30 April 17:30; 1 May (Labour Day), the weekend, 4 and 5 May (observed, in lieu)
    # are closed: 30 min on Thursday, then Wednesday 6 May 09:00-12:00 and 13:00-13:30.
    time_machine.move_to(local(2026, 4, 30, 17, 30), tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="may@example.com")
    assert _due(api, cid)["first_reply_due_at"] == local(2026, 5, 6, 13, 30)


def test_the_security_pool_is_24x7_even_for_a_business_time_rule(desk, api, broker, time_machine):
    sunday_night = local(2026, 3, 8, 23, 10)
    time_machine.move_to(sunday_night, tick=False)
    cid, _ = write_in(EMPTIED[1], subject=EMPTIED[0], sender="sun@example.com")
    detail = show(api, cid)
    assert detail["pool"] == "security"
    assert _due(api, cid)["first_reply_due_at"] == sunday_night + timedelta(hours=4)


def test_pause_stops_the_clocks_and_the_customer_resumes_them(desk, api, broker, time_machine):
    base, auth = api
    created = local(2026, 3, 9, 10, 0)  # Monday
    time_machine.move_to(created, tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="pause@example.com")
    # Unpaused, 16 business hours from Monday 10:00 end on Wednesday 10:00.
    assert _due(api, cid)["resolution_due_at"] == local(2026, 3, 11, 10, 0)

    time_machine.move_to(local(2026, 3, 9, 11, 0), tick=False)
    answer = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                        json={"text": "Which version of the app do you use?", "wait_for_customer": True})
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "waiting_customer"
    paused = show(api, cid)
    assert paused["state"] == "waiting_customer"
    assert paused["deadlines"]["due_at"] is None and paused["deadlines"]["seconds_left"] is None
    assert paused["sla"]["paused"] is True and paused["sla"]["paused_reason"] == "waiting_customer"
    states = {d["deadline"]: d["state"] for d in paused["sla"]["deadlines"]}
    assert states == {"first_reply": "met", "next_reply": "not started", "resolution": "paused"}

    # The customer answers on Wednesday 10:30, two days later.
    wrote = local(2026, 3, 11, 10, 30)
    time_machine.move_to(wrote, tick=False)
    again, _ = write_in("Version 3.2.1 on Android", subject=f"Re: {CRASH[0]}", sender="pause@example.com",
                        in_reply_to=answer.json()["external_id"])
    assert again == cid
    resumed = show(api, cid)
    assert resumed["state"] == "open" and resumed["sla"]["paused"] is False
    due = _due(api, cid)
    # Next reply, 2 business hours from 10:30: 10:30-12:00, lunch, 13:00-13:30.
    assert due["next_reply_due_at"] == local(2026, 3, 11, 13, 30)
    # Resolution: 1 h ran before the pause (Mon 10-11); the 15 h left run from Wed 10:30:
    # Wed 6 h 30 min, Thu 8 h, Fri 09:00-09:30.
    assert due["resolution_due_at"] == local(2026, 3, 13, 9, 30)
    kinds = [e["kind"] for e in resumed["events"]]
    assert kinds.count("paused") == 1 and kinds.count("resumed") == 1
    assert kinds.index("paused") < kinds.index("resumed"), "resumed by the customer's answer, after the pause"
    assert resumed["metrics"]["paused_seconds"] == (wrote - local(2026, 3, 9, 11, 0)).total_seconds()

    # Worked out again from the same history, a later message changes nothing.
    time_machine.move_to(local(2026, 3, 11, 11, 0), tick=False)
    write_in("It also crashes on my tablet", subject=f"Re: {CRASH[0]}", sender="pause@example.com",
             in_reply_to=answer.json()["external_id"])
    later = _due(api, cid)
    assert later["resolution_due_at"] == due["resolution_due_at"]
    assert later["next_reply_due_at"] == due["next_reply_due_at"], "the oldest unanswered message sets it"


def test_next_reply_runs_again_each_time_the_customer_writes_after_an_answer(desk, api, broker, time_machine):
    base, auth = api
    time_machine.move_to(local(2026, 3, 9, 9, 0), tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="next@example.com")
    time_machine.move_to(local(2026, 3, 9, 9, 30), tick=False)
    answer = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                        json={"text": "Please reinstall the app."})
    assert answer.status_code == 201
    assert _due(api, cid)["next_reply_due_at"] is None
    # 17:00 Monday: one business hour today, the second on Tuesday from 09:00.
    time_machine.move_to(local(2026, 3, 9, 17, 0), tick=False)
    write_in("Reinstalled, still crashing.", subject=f"Re: {CRASH[0]}", sender="next@example.com",
             in_reply_to=answer.json()["external_id"])
    assert _due(api, cid)["next_reply_due_at"] == local(2026, 3, 10, 10, 0)
    metrics = show(api, cid)["metrics"]
    assert metrics["first_reply"] == {"calendar_seconds": 1800.0, "business_seconds": 1800.0}
    assert metrics["replies"] == 1
