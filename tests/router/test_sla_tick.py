"""tick warns at the rule's share of a target, then records the breach and escalates (one
urgency level up, into the pool's escalation pool, the assignee and the pool told), each
exactly once: two ticks run at once, again and again, against PostgreSQL, and every
event, alarm row and metric counts one."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from config.desk import get_desk
from customer_mail import show, write_in
from router.queue import tick
from router.storage.db import session_scope
from router.storage.models import Conversation, SlaAlarm

T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
CRASH = ("App crash", "The app crashes when I open it")  # technical, normal: pool tech


def _two_ticks_at_once() -> list[dict[str, int]]:
    """tick in two threads, each with its own connection, released together."""
    start, results, errors = threading.Barrier(2), [], []

    def run() -> None:
        start.wait()
        try:
            results.append(tick.run())
        except Exception as exc:  # noqa: BLE001  (surfaced below, not lost in the thread)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def _sla_events(api, cid: int) -> list[dict]:
    return [e for e in show(api, cid)["events"] if e["kind"].startswith("sla.")]


def _counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_warning_then_breach_then_escalation_each_recorded_once_by_two_ticks_at_once(
        db_url, api, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="late@example.com")
    before = show(api, cid)
    assert (before["pool"], before["urgency"]) == ("tech", "normal")
    rule, _ = get_desk().sla_for("normal", "email", "tech")
    warn_at = T0 + timedelta(seconds=rule.first_reply * rule.warn_at)
    due = T0 + timedelta(seconds=rule.first_reply)
    warned_before = _counter("msgrouter_sla_warnings_total", pool="tech", deadline="first_reply")
    breached_before = _counter("msgrouter_sla_breaches_total", pool="tech", deadline="first_reply")

    time_machine.move_to(warn_at - timedelta(seconds=1), tick=False)
    _two_ticks_at_once()
    assert _sla_events(api, cid) == [], "nothing is due a second before the warning"

    time_machine.move_to(warn_at + timedelta(minutes=1), tick=False)
    for _ in range(3):
        _two_ticks_at_once()
    events = _sla_events(api, cid)
    assert [(e["kind"], e["data"]["deadline"]) for e in events] == [("sla.warning", "first_reply")]
    assert _counter("msgrouter_sla_warnings_total", pool="tech", deadline="first_reply") == warned_before + 1

    time_machine.move_to(due + timedelta(minutes=1), tick=False)
    for _ in range(3):
        _two_ticks_at_once()
    events = _sla_events(api, cid)
    assert [e["kind"] for e in events] == ["sla.warning", "sla.breach", "sla.escalated"]
    escalated = events[-1]["data"]
    assert escalated["urgency"] == ["normal", "high"] and escalated["pool"] == ["tech", "supervisors"]
    assert "supervisors" in escalated["notify"]
    assert _counter("msgrouter_sla_breaches_total", pool="tech", deadline="first_reply") == breached_before + 1
    after = show(api, cid)
    assert (after["pool"], after["urgency"]) == ("supervisors", "high")
    first = next(d for d in after["sla"]["deadlines"] if d["deadline"] == "first_reply")
    assert first["state"] == "breached"
    assert after["metrics"]["breaches"] == 1
    with session_scope() as session:
        kinds = sorted(session.execute(select(SlaAlarm.kind).where(SlaAlarm.conversation_id == cid)).scalars())
        assert kinds == ["breach", "warning"]
        # Nothing more is due until the resolution clock's warning.
        assert session.get(Conversation, cid).sla_check_at > due


def test_tick_leaves_conversations_nothing_is_due_on_alone(db_url, api, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    cid, _ = write_in(CRASH[1], subject=CRASH[0], sender="early@example.com")
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    done = tick.run()
    assert not any(k.startswith("sla_") for k in done)
    assert _sla_events(api, cid) == []
