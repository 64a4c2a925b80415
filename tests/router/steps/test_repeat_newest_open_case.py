"""The case a repeat joins is the sender's newest *open* one within the window: a newer
conversation that is parked (machine mail from their address) or resolved is passed over
for the older case that is still open, not taken and then refused."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pipeline_support import conversation, ingest, outbound_of
from router.desk import conversations as actions
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation
from support import make_email

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _resolve(conversation_id: int) -> None:
    with session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.resolve(session, session.get(Conversation, conversation_id), alice)


def test_a_newer_parked_conversation_is_passed_over(db_url, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    case = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                             text="My withdrawal of 200 USDT has not arrived.")).conversation_id
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    away = ingest(make_email(sender="ann@example.com", subject="Out of office", text="I am away this week.",
                             headers={"Auto-Submitted": "auto-replied"}))
    assert conversation(away.conversation_id).state == "parked" and away.conversation_id > case
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    again = ingest(make_email(sender="ann@example.com", subject="Also: login", text="And I cannot log in."))
    assert again.conversation_id == case


def test_a_newer_resolved_conversation_is_passed_over(db_url, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    older = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived.")).conversation_id
    [ack] = outbound_of(older)
    _resolve(older)
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    newer = ingest(make_email(sender="ann@example.com", subject="Card declined",
                              text="My card is declined when I buy BTC.")).conversation_id
    assert newer != older, "the older case was resolved: a new one"
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    reply = ingest(make_email(sender="ann@example.com", subject="Re: " + ack.subject, text="It is still missing.",
                              in_reply_to=ack.external_id, references=[ack.external_id]))
    assert reply.conversation_id == older and conversation(older).state == "open", "reopened by the reply"
    _resolve(newer)
    time_machine.move_to(T0 + timedelta(minutes=15), tick=False)
    again = ingest(make_email(sender="ann@example.com", subject="Another thing", text="How do I change my email?"))
    assert again.conversation_id == older
