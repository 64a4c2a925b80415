"""The pipeline's assign step: a new conversation goes to a member of its pool who speaks its
language, fewest open first and, on a tie, the one assigned least recently; the choice is
recorded (the `assigned` event naming the agent, the agent's last assignment time, the
reason the dashboard shows), and so is the wait when nobody can take it. A later message
of an assigned conversation leaves the assignment alone; a reopened case goes back to the
agent who had it, and the reason says so."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete, select, update

from customer_mail import show, write_in
from router.storage.db import session_scope
from router.storage.models import Agent, Membership, Pool

T0 = datetime(2031, 5, 6, 10, 0, tzinfo=UTC)
FEES = "What are the fees for sending BTC?"  # policy, normal, en: pool general (carol, dan)
FROZEN_ZH = "我无法登录我的账户，账户被冻结了"  # account, zh: pool accounts (bob zh, carol en)


def _set(name: str, **values) -> None:
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == name).values(**values))


def _agents() -> dict[str, Agent]:
    with session_scope() as session:
        return {a.name: a for a in session.execute(select(Agent)).scalars()}


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _assign_records(shown: dict) -> tuple[list, list]:
    events = [(e["kind"], e["data"]) for e in shown["events"] if e["kind"] in ("assigned", "unassigned")]
    reasons = [(r["step"], r["reason"]) for r in shown["reasons"] if r["step"] == "assign"]
    return events, reasons


def test_the_choice_is_recorded_and_the_next_tie_goes_to_the_one_assigned_longer_ago(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    # carol and dan both have nothing open and were never assigned: the lower id, carol.
    first, _ = write_in(FEES, subject="Fees", sender="first@example.com")
    shown = show(api, first)
    assert shown["assignee"] == "carol"
    assert _assign_records(shown) == (
        [("assigned", {"agent": "carol"})],
        [("assign", "assigned to carol: fewest open conversations in pool general")])
    agents = _agents()
    assert (agents["carol"].open_count, _utc(agents["carol"].last_assigned_at)) == (1, T0)
    assert agents["dan"].last_assigned_at is None

    resolved = httpx.post(f"{base}/api/conversations/{first}/resolve", headers=auth("carol"))
    assert resolved.status_code == 200, resolved.text
    # Both have nothing open again; carol was assigned at T0, dan never: dan's turn.
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    second, _ = write_in("Is the fee the same for sending ETH?", subject="ETH fees", sender="second@example.com")
    assert show(api, second)["assignee"] == "dan"


def test_nobody_free_leaves_it_waiting_and_says_why(api, broker):
    _set("carol", status="offline")
    _set("dan", capacity=0)
    cid, _ = write_in(FEES, subject="Fees", sender="waiting@example.com")
    shown = show(api, cid)
    assert shown["assignee"] is None
    assert _assign_records(shown) == ([], [
        ("assign", "no agent of pool general is online, speaks en and has capacity: waiting in the pool queue")])


def test_only_a_member_who_speaks_the_language_takes_it_however_busy(api, broker):
    _set("bob", open_count=3)  # carol, idle, speaks no Chinese
    cid, _ = write_in(FROZEN_ZH, subject="账户冻结", sender="zh@example.com")
    shown = show(api, cid)
    assert (shown["language"], shown["pool"], shown["assignee"]) == ("zh", "accounts", "bob")


def test_english_too_goes_only_to_a_member_who_speaks_it(api, broker):
    _set("carol", open_count=3)  # bob, idle, speaks no English
    cid, _ = write_in("I cannot log in, my account is frozen", subject="Account frozen", sender="en@example.com")
    shown = show(api, cid)
    assert (shown["language"], shown["pool"], shown["assignee"]) == ("en", "accounts", "carol")


def test_a_later_message_leaves_the_assignment_alone(api, broker):
    cid, first_mail = write_in(FEES, subject="Fees", sender="again@example.com")
    holder = show(api, cid)["assignee"]
    before = {name: a.open_count for name, a in _agents().items()}
    write_in("Also, is the fee the same for sending ETH?", subject="Re: Fees", sender="again@example.com",
             in_reply_to=first_mail)
    shown = show(api, cid)
    assert shown["assignee"] == holder
    assert _assign_records(shown)[0] == [("assigned", {"agent": holder})]
    assert {name: a.open_count for name, a in _agents().items()} == before


def test_a_reopened_case_goes_back_to_its_agent_and_the_reason_says_so(api, broker):
    base, auth = api
    _set("dan", status="offline")
    cid, first_mail = write_in(FEES, subject="Fees", sender="back@example.com")
    assert show(api, cid)["assignee"] == "carol"
    assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth("carol")).status_code == 200
    write_in("One more thing: is the fee the same for USDT?", subject="Re: Fees", sender="back@example.com",
             in_reply_to=first_mail)
    shown = show(api, cid)
    assert (shown["state"], shown["assignee"]) == ("open", "carol")
    events, reasons = _assign_records(shown)
    assert reasons == [("assign", "assigned to carol: fewest open conversations in pool general"),
                       ("assign", "assigned to carol: had this conversation before it was resolved")]
    assert [kind for kind, _ in events] == ["assigned", "unassigned", "assigned"]


def test_between_two_agents_assigned_before_the_one_assigned_longer_ago_comes_first(api, broker, time_machine):
    base, auth = api
    # dan is assigned at T0 (carol away), carol at T0 + 1 h (dan away); both resolve theirs.
    time_machine.move_to(T0, tick=False)
    _set("carol", status="away")
    dans, _ = write_in(FEES, subject="Fees", sender="dan-first@example.com")
    _set("carol", status="online")
    _set("dan", status="away")
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    carols, _ = write_in("Is the fee the same for sending ETH?", subject="ETH fees", sender="carol-next@example.com")
    _set("dan", status="online")
    assert [show(api, c)["assignee"] for c in (dans, carols)] == ["dan", "carol"]
    for cid, agent in ((dans, "dan"), (carols, "carol")):
        assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth(agent)).status_code == 200
    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    third, _ = write_in("And for USDT, is the fee the same?", subject="USDT fees", sender="third@example.com")
    assert show(api, third)["assignee"] == "dan", "nothing open either way: dan was assigned longer ago"


def test_a_pool_nobody_belongs_to_keeps_its_work_waiting(api, broker):
    with session_scope() as session:
        pool_id = session.execute(select(Pool.id).where(Pool.name == "complaints")).scalar_one()
        session.execute(delete(Membership).where(Membership.pool_id == pool_id))
    cid, _ = write_in("I want to complain about your slow support, this is terrible", subject="Complaint",
                      sender="complaint@example.com")
    shown = show(api, cid)
    assert (shown["pool"], shown["assignee"]) == ("complaints", None)
    assert _assign_records(shown) == ([], [
        ("assign", "no agent of pool complaints is online, speaks en and has capacity: waiting in the pool queue")])


def test_only_an_agent_who_resolved_the_case_gets_it_back_on_reopening(api, broker):
    # carol had the case but lost it to a move; it came back and was resolved while nobody
    # held it. Reopened, it goes by the usual rule, not to carol.
    base, auth = api
    _set("dan", status="offline")
    cid, first_mail = write_in(FEES, subject="Fees", sender="moved-back@example.com")
    assert show(api, cid)["assignee"] == "carol"
    for name in ("alice", "bob", "carol"):
        _set(name, status="offline")
    for pool in ("transactions", "general"):  # away from carol's pools, and back with nobody free
        moved = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(), json={"pool": pool})
        assert moved.status_code == 200, moved.text
    assert (show(api, cid)["pool"], show(api, cid)["assignee"]) == ("general", None)
    assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth()).status_code == 200
    for name in ("alice", "bob", "carol", "dan"):
        _set(name, status="online")
    _set("carol", open_count=3)  # the usual rule now picks dan
    write_in("One more thing: is the fee the same for USDT?", subject="Re: Fees", sender="moved-back@example.com",
             in_reply_to=first_mail)
    shown = show(api, cid)
    assert (shown["state"], shown["assignee"]) == ("open", "dan")
    assert _assign_records(shown)[1][-1] == ("assign", "assigned to dan: fewest open conversations in pool general")
