"""A customer's reply that threads into a conversation is recorded there: a `received`
event naming the message and its channel, and the conversation's last customer message
moved to when it arrived (what the next-reply clock and the queue's order read)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pipeline_support import conversation, ingest, outbound_of
from router.storage.db import session_scope
from router.storage.models import Event
from support import make_email

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _events_of(message_id: int) -> list[tuple[str, int | None, dict]]:
    with session_scope() as session:
        return [(e.kind, e.conversation_id, e.data) for e in session.execute(
            select(Event).where(Event.message_id == message_id).order_by(Event.id)).scalars()]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_threaded_reply_is_received_into_its_conversation_and_moves_its_last_inbound(db_url, broker,
                                                                                          time_machine):
    time_machine.move_to(T0, tick=False)
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    case = first.conversation_id
    [ack] = outbound_of(case)
    assert _utc(conversation(case).last_inbound_at) == T0

    later = T0 + timedelta(days=2)  # past the same-sender window: only the references thread it
    time_machine.move_to(later, tick=False)
    reply = ingest(make_email(sender="ann@example.com", subject="Re: " + ack.subject, text="Here is the TXID.",
                              in_reply_to=ack.external_id, references=[ack.external_id]))
    assert reply.conversation_id == case
    assert _utc(conversation(case).last_inbound_at) == later
    assert [e for e in _events_of(reply.id) if e[0] == "received"] == [("received", case, {"channel": "email"})]
