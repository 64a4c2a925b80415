"""Investigating, on the real stack with a controlled clock: customer mail in through intake
and the pipeline, agents over HTTP, the status update out through the outbox to an SMTP
sink, tick's warnings and breaches. Marking a conversation investigating runs its
next-reply clock from the mark; a status update goes to the customer in their language,
restarts that clock and is no first reply; without one nothing is sent; a reply ends the
investigation; DELETE ends it and leaves the clock running; an agent outside the pool
gets 404 and changes nothing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from config.desk import get_desk
from customer_mail import show, when, write_in
from router.delivery.outbox import deliver_pending
from router.queue import tick
from router.sla.deadlines import walk
from router.storage.db import session_scope
from router.storage.models import Conversation, Event, Message
from sla_desk import NEXT_REPLY_H, business_desk, local

T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday
# Withdrawals: transaction, pool `transactions` (bob and alice; carol is not in it).
WITHDRAWAL_ZH = ("提现一直未到账", "你好，我昨天提现的 USDT 到现在还没有到账，交易一直显示处理中，请帮忙查一下。")
WITHDRAWAL_EN = ("Withdrawal missing", "My withdrawal of 200 USDT has not arrived, it still shows pending.")


def _rule(api, cid: int):
    detail = show(api, cid)
    rule, _ = get_desk().sla_for(detail["urgency"], detail["channel"], detail["pool"])
    return rule


def _target(api, cid: int) -> timedelta:
    rule = _rule(api, cid)
    assert rule.clock_of("next_reply") == "calendar"  # the shipped desk counts email in calendar time
    return timedelta(seconds=rule.next_reply)


def _mark(api, cid: int, agent: str = "bob", **body) -> httpx.Response:
    base, auth = api
    return httpx.post(f"{base}/api/conversations/{cid}/investigating", headers=auth(agent), json=body)


def _reply(api, cid: int, text: str, agent: str = "bob") -> dict:
    base, auth = api
    answer = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(agent), json={"text": text})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _events(api, cid: int, *kinds: str) -> list[dict]:
    return [e for e in show(api, cid)["events"] if e["kind"] in kinds]


def _deadline(detail: dict, name: str) -> dict:
    return next(d for d in detail["sla"]["deadlines"] if d["deadline"] == name)


def _written_in(sink, time_machine, at: datetime, mail: tuple[str, str], sender: str) -> int:
    """The customer's mail at `at`, its acknowledgement delivered and cleared from the sink."""
    time_machine.move_to(at, tick=False)
    cid, _ = write_in(mail[1], subject=mail[0], sender=sender)
    deliver_pending()
    sink.messages.clear()
    return cid


def test_status_update_reaches_the_customer_in_their_language_and_the_clock_runs_from_the_mark(
        api, broker, sink, time_machine):
    cid = _written_in(sink, time_machine, T0, WITHDRAWAL_ZH, "wei@example.com")
    assert (show(api, cid)["pool"], show(api, cid)["language"]) == ("transactions", "zh")
    time_machine.move_to(T0 + timedelta(minutes=30), tick=False)
    _reply(api, cid, "您好，我们正在核查这笔提现。")  # the first reply: nothing else is due
    deliver_pending()
    sink.messages.clear()

    marked = T0 + timedelta(hours=2)
    time_machine.move_to(marked, tick=False)
    response = _mark(api, cid, status_update=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "investigating" and body["status_update"]["language"] == "zh"
    due = marked + _target(api, cid)
    assert when(body["next_reply_due_at"]) == due

    assert deliver_pending() == 1
    [update] = sink.parsed()
    assert update["To"] == "wei@example.com"
    assert update["Subject"] == f"您的工单进展 [#{cid}]"
    assert update["Auto-Submitted"] == "auto-replied"
    text = update.get_content()
    assert f"工单 #{cid}" in text and get_desk().desk.name in text
    assert f"{due:%Y-%m-%d %H:%M}" in text  # {due_human}: when they hear from us next
    assert "USDT" not in text, "nothing the customer wrote goes into the template"

    detail = show(api, cid)
    assert detail["state"] == "investigating" and when(detail["investigating_since"]) == marked
    assert when(detail["deadlines"]["next_reply_due_at"]) == due
    assert _deadline(detail, "next_reply")["state"] == "running"
    sent = next(m for m in detail["messages"] if m["id"] == body["status_update"]["message_id"])
    assert sent["automatic"] is True and sent["author"] == "bob"
    assert detail["metrics"]["replies"] == 1, "an automatic update is not a person's answer"
    started = _events(api, cid, "investigating_started", "status_update")
    assert [(e["kind"], e["actor"]) for e in started] == [("investigating_started", "bob"), ("status_update", "bob")]

    # Nobody writes: tick warns at the rule's share and breaches at the deadline, once each.
    time_machine.move_to(marked + _target(api, cid) * _rule(api, cid).warn_at + timedelta(minutes=1), tick=False)
    tick.run()
    tick.run()
    time_machine.move_to(due + timedelta(minutes=1), tick=False)
    tick.run()
    tick.run()
    alarms = [(e["kind"], e["data"]["deadline"]) for e in _events(api, cid, "sla.warning", "sla.breach")]
    assert alarms == [("sla.warning", "next_reply"), ("sla.breach", "next_reply")]
    assert _deadline(show(api, cid), "next_reply")["state"] == "breached"


def test_a_status_update_is_no_first_reply(api, broker, sink, time_machine):
    cid = _written_in(sink, time_machine, T0, WITHDRAWAL_EN, "pat@example.com")
    first_due = when(show(api, cid)["deadlines"]["first_reply_due_at"])
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    assert _mark(api, cid, status_update=True).status_code == 200
    assert deliver_pending() == 1
    [update] = sink.parsed()
    assert update["Subject"] == f"Update on your request [#{cid}]"
    assert f"case #{cid}" in update.get_content()
    detail = show(api, cid)
    assert detail["first_replied_at"] is None
    assert _deadline(detail, "first_reply")["state"] == "running"
    assert when(detail["deadlines"]["first_reply_due_at"]) == first_due
    assert when(detail["deadlines"]["due_at"]) == first_due  # the earlier of the two clocks


def test_without_an_update_nothing_is_sent_and_a_reply_ends_the_investigation(api, broker, sink, time_machine):
    cid = _written_in(sink, time_machine, T0, WITHDRAWAL_EN, "lee@example.com")
    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    answered = _reply(api, cid, "We are checking your withdrawal.")
    deliver_pending()
    sink.messages.clear()

    marked = T0 + timedelta(hours=1)
    time_machine.move_to(marked, tick=False)
    response = _mark(api, cid)
    assert response.status_code == 200 and response.json()["status_update"] is None
    assert deliver_pending() == 0 and sink.messages == []
    with session_scope() as session:
        outbound = session.execute(select(func.count()).where(
            Message.conversation_id == cid, Message.direction == "out", Message.created_at >= marked)).scalar()
    assert outbound == 0, "no update was queued"
    assert when(show(api, cid)["deadlines"]["next_reply_due_at"]) == marked + _target(api, cid)

    # The customer writes while the desk investigates: it stays investigating, and the clock
    # the mark started is the oldest unanswered one, so it stands.
    time_machine.move_to(marked + timedelta(hours=3), tick=False)
    write_in("Any news?", subject=f"Re: {WITHDRAWAL_EN[0]}", sender="lee@example.com",
             in_reply_to=answered["external_id"])
    detail = show(api, cid)
    assert detail["state"] == "investigating"
    assert when(detail["deadlines"]["next_reply_due_at"]) == marked + _target(api, cid)

    time_machine.move_to(marked + timedelta(hours=5), tick=False)
    assert _reply(api, cid, "The chain confirmed it; it has arrived.", agent="alice")["state"] == "open"
    detail = show(api, cid)
    assert detail["investigating_since"] is None and detail["deadlines"]["next_reply_due_at"] is None
    [ended] = _events(api, cid, "investigating_ended")
    assert (ended["actor"], ended["data"]["reason"]) == ("alice", "replied")


def test_marking_keeps_an_unanswered_message_clock_and_an_update_restarts_it(api, broker, sink, time_machine):
    cid = _written_in(sink, time_machine, T0, WITHDRAWAL_EN, "kim@example.com")
    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    answered = _reply(api, cid, "Which network did you use?")
    wrote = T0 + timedelta(hours=1)
    time_machine.move_to(wrote, tick=False)
    write_in("TRC-20", subject=f"Re: {WITHDRAWAL_EN[0]}", sender="kim@example.com",
             in_reply_to=answered["external_id"])

    time_machine.move_to(wrote + timedelta(hours=2), tick=False)
    assert _mark(api, cid).status_code == 200
    assert when(show(api, cid)["deadlines"]["next_reply_due_at"]) == wrote + _target(api, cid)

    update_at = wrote + timedelta(hours=4)
    time_machine.move_to(update_at, tick=False)
    assert _mark(api, cid, status_update=True).status_code == 200
    detail = show(api, cid)
    assert when(detail["deadlines"]["next_reply_due_at"]) == update_at + _target(api, cid)
    assert when(detail["investigating_since"]) == wrote + timedelta(hours=2), "marked again: still since the first"
    kinds = [e["kind"] for e in _events(api, cid, "investigating_started", "status_update")]
    assert kinds == ["investigating_started", "status_update"]


def test_ending_by_hand_keeps_the_clock_and_a_waiting_conversation_resumes(api, broker, sink, time_machine):
    base, auth = api
    cid = _written_in(sink, time_machine, T0, WITHDRAWAL_EN, "sam@example.com")
    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    asked = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth("bob"),
                       json={"text": "Please send the transaction hash.", "wait_for_customer": True})
    assert asked.json()["state"] == "waiting_customer"

    marked = T0 + timedelta(hours=2)
    time_machine.move_to(marked, tick=False)
    assert _mark(api, cid).json()["state"] == "investigating"
    detail = show(api, cid)
    assert detail["sla"]["paused"] is False and detail["metrics"]["paused_seconds"] == 100 * 60
    assert [e["data"]["reason"] for e in _events(api, cid, "resumed")] == ["investigating"]

    time_machine.move_to(marked + timedelta(hours=1), tick=False)
    ended = httpx.delete(f"{base}/api/conversations/{cid}/investigating", headers=auth("bob"))
    assert ended.status_code == 200 and ended.json()["state"] == "open"
    assert when(ended.json()["next_reply_due_at"]) == marked + _target(api, cid), "only an answer meets it"
    again = httpx.delete(f"{base}/api/conversations/{cid}/investigating", headers=auth("bob"))
    assert again.status_code == 200 and again.json()["state"] == "open"
    [event] = _events(api, cid, "investigating_ended")
    assert (event["actor"], event["data"]["reason"]) == ("bob", "ended")


def test_an_agent_outside_the_pool_gets_404_and_changes_nothing(api, broker, sink, time_machine):
    base, auth = api
    cid = _written_in(sink, time_machine, T0, WITHDRAWAL_EN, "out@example.com")

    def state() -> tuple:
        with session_scope() as session:
            c = session.get(Conversation, cid)
            events = session.execute(select(func.count()).where(Event.conversation_id == cid)).scalar()
            return c.state, c.next_reply_due_at, events

    before = state()
    refused = _mark(api, cid, agent="carol", status_update=True)
    assert refused.status_code == 404 and refused.json()["detail"] == f"no conversation #{cid}"
    ended = httpx.delete(f"{base}/api/conversations/{cid}/investigating", headers=auth("carol"))
    assert ended.status_code == 404
    assert state() == before and deliver_pending() == 0
    assert _mark(api, cid, agent="bob").status_code == 200


def test_a_resolved_conversation_cannot_be_investigated(api, broker, sink, time_machine):
    base, auth = api
    cid = _written_in(sink, time_machine, T0, WITHDRAWAL_EN, "done@example.com")
    assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth("bob")).status_code == 200
    refused = _mark(api, cid, status_update=True)
    assert refused.status_code == 409 and "resolved" in refused.json()["detail"]
    assert deliver_pending() == 0


@pytest.fixture
def business(tmp_path, monkeypatch):
    return business_desk(tmp_path, monkeypatch)


def test_the_clock_follows_the_pools_business_calendar(business, api, broker, sink, time_machine):
    cid = _written_in(sink, time_machine, local(2026, 3, 6, 9, 0), ("App crash", "The app crashes when I open it"),
                      "fri@example.com")
    time_machine.move_to(local(2026, 3, 6, 9, 30), tick=False)
    _reply(api, cid, "We are looking at it.", agent="carol")
    deliver_pending()
    sink.messages.clear()
    # Friday 17:30 at the office (tech pool, Mon-Fri 09-12 and 13-18): 30 minutes on
    # Friday, the other 90 on Monday from 09:00.
    assert NEXT_REPLY_H == 2
    time_machine.move_to(local(2026, 3, 6, 17, 30), tick=False)
    assert _mark(api, cid, agent="carol", status_update=True).status_code == 200
    assert when(show(api, cid)["deadlines"]["next_reply_due_at"]) == local(2026, 3, 9, 10, 30)
    # Worked out again from the conversation's history, the same due time.
    with session_scope() as session:
        c = session.get(Conversation, cid)
        rule, _ = get_desk().sla_for(c.urgency, c.channel, "tech")
        assert walk(c, get_desk(), "tech", rule, "next_reply", c.next_reply_since) == c.next_reply_due_at
    assert deliver_pending() == 1
    assert "2026-03-09 02:30" in sink.parsed()[0].get_content()  # {due_human} in UTC
