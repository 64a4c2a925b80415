"""The reopen window's edge, under a stopped clock: a customer's message exactly
REOPEN_WINDOW after the resolve still reopens the conversation (and says so); one a
microsecond later opens a new case (and says why). Machine-written mail threading into a
resolved conversation never reopens it, whenever it comes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline_support import conversation, event_kinds, ingest, outbound_of
from router.desk import conversations as actions
from router.steps.thread import REOPEN_WINDOW
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event
from support import make_email

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _resolved_case(time_machine) -> tuple[int, str]:
    """Eve's case, acknowledged, resolved at T0 (from whoever it was assigned to): its id and
    our acknowledgement's Message-ID."""
    time_machine.move_to(T0 - timedelta(hours=1), tick=False)
    first = ingest(make_email(sender="eve@example.com", subject="Swap failed",
                              text="My swap from USDT to ETH failed but the fee was taken."))
    [ack] = outbound_of(first.conversation_id)
    time_machine.move_to(T0, tick=False)
    with session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.resolve(session, session.get(Conversation, first.conversation_id), alice)
    return first.conversation_id, ack.external_id


def _answer(ack: str, **headers: str):
    return make_email(sender="eve@example.com", subject="Re: Swap failed", text="It failed again today.",
                      in_reply_to=ack, references=[ack], headers=headers)


def _reopened(conversation_id: int) -> list[tuple[int | None, dict]]:
    """The conversation's `reopened` events: the message that reopened it, and the data."""
    with session_scope() as session:
        return [(e.message_id, e.data) for e in session.execute(select(Event).where(
            Event.conversation_id == conversation_id, Event.kind == "reopened")).scalars()]


def _resolved_from(conversation_id: int) -> int:
    """The agent the resolve took the conversation from."""
    with session_scope() as session:
        [released] = session.execute(select(Event.data).where(
            Event.conversation_id == conversation_id, Event.kind == "unassigned")).scalars()
    assert released["reason"] == "resolved" and released["agent_id"] is not None
    return released["agent_id"]


def _thread_reasons(conversation_id: int, message_id: int) -> list[str]:
    return [r["reason"] for r in conversation(conversation_id).reasons
            if r["step"] == "thread" and r["message_id"] == message_id]


def test_a_message_exactly_at_the_window_reopens(db_url, broker, time_machine):
    case, ack = _resolved_case(time_machine)
    time_machine.move_to(T0 + REOPEN_WINDOW, tick=False)
    reply = ingest(_answer(ack))
    assert reply.conversation_id == case
    assert conversation(case).state == "open" and conversation(case).resolved_at is None
    assert _reopened(case) == [(reply.id, {"previous_assignee_id": _resolved_from(case)})]
    assert _thread_reasons(case, reply.id) == [f"threaded into #{case} by references",
                                               f"#{case} reopened by a new message"]


def test_a_message_just_past_the_window_opens_a_new_case(db_url, broker, time_machine):
    case, ack = _resolved_case(time_machine)
    time_machine.move_to(T0 + REOPEN_WINDOW + timedelta(microseconds=1), tick=False)
    reply = ingest(_answer(ack))
    assert reply.conversation_id not in (None, case)
    assert conversation(case).state == "resolved" and "reopened" not in event_kinds(case)
    assert _thread_reasons(reply.conversation_id, reply.id) == [
        f"threaded into #{case} by references", f"#{case} was resolved over {REOPEN_WINDOW.days} days ago: a new case"]


@pytest.mark.parametrize("after", [timedelta(hours=1), REOPEN_WINDOW + timedelta(hours=1)], ids=["inside", "past"])
def test_an_auto_reply_into_a_resolved_case_leaves_it_resolved(db_url, broker, time_machine, after):
    case, ack = _resolved_case(time_machine)
    before = conversation(case)
    time_machine.move_to(T0 + after, tick=False)
    vacation = ingest(_answer(ack, **{"Auto-Submitted": "auto-replied"}))
    assert vacation.conversation_id == case, "machine mail is attached to the case it answers"
    after_row = conversation(case)
    assert (after_row.state, after_row.resolved_at, after_row.last_inbound_at) == \
        ("resolved", before.resolved_at, before.last_inbound_at)
    assert "reopened" not in event_kinds(case)
    assert _thread_reasons(case, vacation.id) == [f"threaded into #{case} by references",
                                                  f"#{case} stays resolved: automatic mail does not reopen it"]
