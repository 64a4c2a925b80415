"""A deadline counted in business time says so in the deadline step's recorded reason, for
each target apart, so an agent reading the reasons on the dashboard knows why a due time
skips the night: a rule that counts the first reply in business hours and the rest in
calendar time names each target with its own clock; a rule all in calendar time adds
nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import DEFAULT_DESK
from customer_mail import show, write_in
from sla_desk import local

# In front of the demo desk's table: email counts its first reply in the pool's business
# hours and the next reply and the resolution in calendar time.
MIXED = """
[[sla]]
channel = "email"
urgency = "*"
first_reply = "4h"
next_reply = "2h"
resolution = "16h"
clock = { first_reply = "business" }

"""


@pytest.fixture
def desk(tmp_path: Path, monkeypatch) -> Path:
    text = DEFAULT_DESK.read_text(encoding="utf-8")
    cut = text.index("[[sla]]")
    path = tmp_path / "desk-mixed-clock.toml"
    path.write_text(text[:cut] + MIXED + text[cut:], encoding="utf-8")
    monkeypatch.setenv("MSGROUTER_DESK_CONFIG", str(path))
    return path


def _deadline_reasons(api, cid: int) -> list[str]:
    return [r["reason"] for r in show(api, cid)["reasons"] if r["step"] == "deadlines"]


def test_the_reason_names_the_clock_of_each_target(desk, api, broker, time_machine):
    time_machine.move_to(local(2026, 3, 9, 10, 0), tick=False)  # a Monday at the office
    cid, _ = write_in("The app crashes when I open it", subject="App crash", sender="clocks@example.com")
    [reason] = _deadline_reasons(api, cid)
    # Four business hours from 10:00: 10:00-12:00, lunch, 13:00-15:00 at the office (07:00 UTC).
    assert reason == ("sla[0] (email/*) for normal email: first reply due 2026-03-09 07:00 UTC "
                      "[first_reply business time, next_reply calendar time, resolution calendar time]")


def test_a_rule_in_calendar_time_names_no_clock(api, broker, time_machine):
    time_machine.move_to(local(2026, 3, 9, 10, 0), tick=False)
    cid, _ = write_in("The app crashes when I open it", subject="App crash", sender="plain@example.com")
    [reason] = _deadline_reasons(api, cid)
    assert reason.endswith(" UTC"), reason  # the demo desk counts email in calendar time
    assert "calendar time" not in reason
