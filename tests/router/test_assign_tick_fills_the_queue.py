"""tick assigns waiting conversations once an agent of their pool is online with room
(however that came about: here a script sets the status, which fills nothing by itself),
and reports how many it assigned, the agent's last assignment being the fill's time; while
nobody online has room it does not fill at all, and says nothing about a fill. The wait and
the fill are both given as reasons."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from customer_mail import show, write_in
from router.queue import tick
from router.storage.db import session_scope
from router.storage.models import Agent

FILLED_AT = datetime(2031, 6, 3, 11, 0, tzinfo=UTC)
FEES = "What are the fees for sending BTC?"  # pool general: carol and dan


def _set(name: str, **values) -> None:
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == name).values(**values))


def test_a_tick_with_nobody_free_fills_nothing_and_reports_no_fill(api, broker):
    # Nobody online has room: carol is away with room, dan online and exactly full, erin
    # (the lead) online with a capacity of none, and everyone else away.
    for name in ("alice", "bob", "carol", "frank"):
        _set(name, status="away")
    _set("dan", capacity=1, open_count=1)
    _set("erin", status="online")
    cid, _ = write_in(FEES, subject="Fees", sender="nobody@example.com")
    assert show(api, cid)["assignee"] is None
    assert "assigned_from_queue" not in tick.run()
    assert show(api, cid)["assignee"] is None


def test_a_tick_assigns_the_waiting_case_once_someone_has_room(api, broker, time_machine):
    _set("carol", status="away")
    _set("dan", capacity=1, open_count=1)
    cid, _ = write_in(FEES, subject="Fees", sender="waiting@example.com")
    assert show(api, cid)["assignee"] is None
    tick.run()
    assert show(api, cid)["assignee"] is None, "alice and bob have room, but not in general"

    _set("carol", status="online")  # a script, not the presence action: nothing fills yet
    assert show(api, cid)["assignee"] is None
    time_machine.move_to(FILLED_AT, tick=False)
    assert tick.run()["assigned_from_queue"] == 1
    shown = show(api, cid)
    assert shown["assignee"] == "carol"
    with session_scope() as session:
        carol = session.execute(select(Agent).where(Agent.name == "carol")).scalar_one()
    at = carol.last_assigned_at
    assert (carol.open_count, at if at.tzinfo else at.replace(tzinfo=UTC)) == (1, FILLED_AT)
    assert [(r["step"], r["reason"]) for r in shown["reasons"] if r["step"] == "assign"] == [
        ("assign", "no agent of pool general is online, speaks en and has capacity: waiting in the pool queue"),
        ("assign", "assigned from the pool queue when capacity freed")]
    assert [(e["kind"], e["data"], e["actor"]) for e in shown["events"] if e["kind"] == "assigned"] == \
        [("assigned", {"agent": "carol"}, "system")]
