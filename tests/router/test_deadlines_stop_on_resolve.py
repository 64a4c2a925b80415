"""Resolving a conversation stops its clocks: nothing is due any more (so tick never warns
about or escalates a closed case), even with the first reply never given, and the time it
was resolved is kept, which the reopen window counts from."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

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
