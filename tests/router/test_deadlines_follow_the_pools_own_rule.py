"""Deadlines follow the SLA rule of the conversation's own pool, counted in that pool's
business calendar, when an agent acts on the case: an urgency correction moves them (and
the next alarm tick looks at), and one taken while the desk waits on the customer applies
when the customer writes again; marking a waiting case investigating resumes its clocks,
the resolution moved later by the pause. Mail in through intake and the pipeline, agents
through the API, alarms by tick under a stopped clock."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from config.settings import DEFAULT_DESK
from customer_mail import show, when, write_in
from router.queue import tick
from router.sla.deadlines import aware
from router.storage.db import session_scope
from router.storage.models import Conversation
from sla_desk import local

CRASH = ("App crash", "The app crashes when I open it")  # technical, normal: the tech pool (office)

# A rule for high urgency in the tech pool only, in front of the demo desk's table: two
# business hours to a reply, eight to resolve, a warning half way. The demo's email/high
# row behind it gives 4 h, 4 h and 3 days in calendar time, warning at 80%.
TECH_HIGH = """
[[sla]]
channel = "email"
urgency = "high"
pool = "tech"
first_reply = "2h"
next_reply = "2h"
resolution = "8h"
clock = "business"
warn_at = 0.5

"""


@pytest.fixture
def desk(tmp_path: Path, monkeypatch) -> Path:
    text = DEFAULT_DESK.read_text(encoding="utf-8")
    cut = text.index("[[sla]]")
    path = tmp_path / "desk-tech-high.toml"
    path.write_text(text[:cut] + TECH_HIGH + text[cut:], encoding="utf-8")
    monkeypatch.setenv("MSGROUTER_DESK_CONFIG", str(path))
    return path


def _relabel(api, cid: int, urgency: str) -> httpx.Response:
    base, auth = api
    return httpx.post(f"{base}/api/conversations/{cid}/labels", headers=auth("erin"), json={"urgency": urgency})


def _due(api, cid: int) -> dict:
    return {k: when(v) for k, v in show(api, cid)["deadlines"].items() if k != "seconds_left"}


def _alarms(api, cid: int) -> list[tuple[str, str]]:
    return [(e["kind"], e["data"]["deadline"]) for e in show(api, cid)["events"]
            if e["kind"] in ("sla.warning", "sla.breach")]


def test_a_correction_follows_the_pools_rule_in_its_business_calendar_and_warns_on_time(
        desk, api, broker, time_machine):
    created = local(2026, 3, 9, 11, 0)  # a Monday at the office
    time_machine.move_to(created, tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="raised@example.com")
    assert (show(api, cid)["pool"], show(api, cid)["urgency"]) == ("tech", "normal")

    time_machine.move_to(local(2026, 3, 9, 11, 10), tick=False)
    response = _relabel(api, cid, "high")
    assert response.status_code == 200, response.text
    due = _due(api, cid)
    # Two business hours from 11:00: 11:00-12:00, lunch, 13:00-14:00 (the demo's email/high
    # row would say 15:00, and two hours of calendar time 13:00).
    assert due["first_reply_due_at"] == local(2026, 3, 9, 14, 0)
    # Eight: Monday 11:00-12:00 and 13:00-18:00, Tuesday 09:00-11:00.
    assert due["resolution_due_at"] == local(2026, 3, 10, 11, 0)
    assert due["due_at"] == when(response.json()["due_at"]) == due["first_reply_due_at"]
    [moved] = [e for e in show(api, cid)["events"] if e["kind"] == "deadline_set" and e["actor"] == "erin"]
    assert moved["data"]["rule"].startswith("sla[0] (email/high) for high email")

    # Half of the first-reply target has run by 12:00; tick at 13:30 warns, once.
    time_machine.move_to(local(2026, 3, 9, 13, 30), tick=False)
    tick.run()
    tick.run()
    assert _alarms(api, cid) == [("sla.warning", "first_reply")]


def test_a_correction_while_waiting_on_the_customer_applies_when_they_write(desk, api, broker, time_machine):
    base, auth = api
    time_machine.move_to(local(2026, 3, 9, 11, 0), tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="waits@example.com")
    time_machine.move_to(local(2026, 3, 9, 11, 30), tick=False)
    asked = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth("carol"),
                       json={"text": "Which version of the app do you use?", "wait_for_customer": True})
    assert asked.status_code == 201 and asked.json()["state"] == "waiting_customer"

    time_machine.move_to(local(2026, 3, 9, 15, 0), tick=False)
    response = _relabel(api, cid, "high")
    assert response.status_code == 200, response.text
    assert response.json()["due_at"] is None, "every clock stays stopped while the desk waits"
    detail = show(api, cid)
    assert detail["state"] == "waiting_customer" and detail["sla"]["paused"] is True

    # The customer answers on Tuesday at 10:00: the next reply is due two business hours
    # later by the tech pool's high rule (the demo's row for normal would give 24 hours).
    time_machine.move_to(local(2026, 3, 10, 10, 0), tick=False)
    again, _ = write_in("Version 3.2.1", subject=f"Re: {CRASH[0]}", sender="waits@example.com",
                        in_reply_to=asked.json()["external_id"])
    assert again == cid
    assert _due(api, cid)["next_reply_due_at"] == local(2026, 3, 10, 12, 0)
    # Tick looks at it again at the rule's warning, half way: 11:00 (the demo's row: 13:12).
    with session_scope() as session:
        assert aware(session.get(Conversation, int(cid)).sla_check_at) == local(2026, 3, 10, 11, 0)


def test_investigating_a_waiting_case_resumes_its_clocks_by_the_pools_rule(desk, api, broker, time_machine):
    base, auth = api
    time_machine.move_to(local(2026, 3, 9, 11, 0), tick=False)  # a Monday at the office
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="checks@example.com")
    assert _relabel(api, cid, "high").status_code == 200
    time_machine.move_to(local(2026, 3, 9, 11, 30), tick=False)
    asked = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth("carol"),
                       json={"text": "Please send us the crash log.", "wait_for_customer": True})
    assert asked.status_code == 201 and asked.json()["state"] == "waiting_customer"

    # Tuesday 11:00: the desk takes it up again without waiting any longer.
    marked = local(2026, 3, 10, 11, 0)
    time_machine.move_to(marked, tick=False)
    response = httpx.post(f"{base}/api/conversations/{cid}/investigating", headers=auth("carol"), json={})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "investigating"
    due = _due(api, cid)
    # The next reply, two business hours from the mark: 11:00-12:00, lunch, 13:00-14:00.
    assert due["next_reply_due_at"] == local(2026, 3, 10, 14, 0)
    # Resolution: half an hour ran before the pause (Monday 11:00-11:30); the 7 h 30 min
    # left run from the mark: Tuesday 11:00-12:00 and 13:00-18:00, Wednesday 09:00-10:30.
    assert due["resolution_due_at"] == local(2026, 3, 11, 10, 30)
    assert due["due_at"] == due["next_reply_due_at"]

    # Half the next-reply target has run at 12:00; tick at 13:30 warns, once.
    time_machine.move_to(local(2026, 3, 10, 13, 30), tick=False)
    tick.run()
    tick.run()
    assert _alarms(api, cid) == [("sla.warning", "next_reply")]


def test_after_an_answer_the_resolution_clock_warns_by_the_pools_rule(desk, api, broker, time_machine):
    base, auth = api
    time_machine.move_to(local(2026, 3, 9, 11, 0), tick=False)  # a Monday at the office
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="answered@example.com")
    assert _relabel(api, cid, "high").status_code == 200
    time_machine.move_to(local(2026, 3, 9, 11, 30), tick=False)
    answer = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth("carol"),
                        json={"text": "We are looking at it."})
    assert answer.status_code == 201, answer.text

    # Only the resolution clock runs now; half its eight business hours have run at 16:00
    # (Monday 11:00-12:00 and 13:00-16:00), and tick at 16:30 warns, once.
    time_machine.move_to(local(2026, 3, 9, 16, 30), tick=False)
    tick.run()
    tick.run()
    assert _alarms(api, cid) == [("sla.warning", "resolution")]
