"""Resolving a conversation stops its clocks: nothing is due any more (so tick never warns
about or escalates a closed case), even with the first reply never given, and the time it
was resolved is kept, which the reopen window counts from. A case resolved while the desk
waits on the customer ends its wait too: the time paused stops growing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from customer_mail import show, write_in
from pipeline_support import conversation, ingest
from router.desk import conversations as actions
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation
from support import make_email

T0 = datetime(2031, 5, 6, 10, 0, tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _resolve(conversation_id: int) -> None:
    with session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.resolve(session, session.get(Conversation, conversation_id), alice)


def test_resolving_without_a_reply_leaves_nothing_due_and_records_when(db_url, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    cid = ingest(make_email(sender="ida@example.com", subject="Fee",
                            text="What is the network fee for sending USDT on Tron?")).conversation_id
    running = conversation(cid)
    assert running.due_at is not None and running.first_replied_at is None, "the clocks were running"

    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    _resolve(cid)
    resolved = conversation(cid)
    assert resolved.state == "resolved"
    assert resolved.due_at is None
    assert _aware(resolved.resolved_at) == T0 + timedelta(hours=2)


def test_resolving_while_waiting_on_the_customer_ends_the_wait(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    cid, _ = write_in("The app crashes when I open it", subject="App crash", sender="ends@example.com")
    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    asked = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                       json={"text": "Which version of the app do you use?", "wait_for_customer": True})
    assert asked.status_code == 201 and asked.json()["state"] == "waiting_customer"

    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    resolved = httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth())
    assert resolved.status_code == 200, resolved.text
    # A day later the case has still waited 1 h 40 min: from the question to the resolve.
    time_machine.move_to(T0 + timedelta(days=1), tick=False)
    detail = show(api, cid)
    assert detail["state"] == "resolved" and detail["sla"]["paused"] is False
    assert detail["metrics"]["paused_seconds"] == 100 * 60
    assert detail["deadlines"]["due_at"] is None
