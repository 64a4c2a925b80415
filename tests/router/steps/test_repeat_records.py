"""A repeat is recorded where it lands: a `received` event on the conversation, marked as a
repeat, naming the message and its channel; joining a stored case moves that case's last
customer message to the repeat's arrival (what the next-reply clock and the queue read)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from channels.email import parse
from pipeline_support import conversation, inbound_row, ingest
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event
from support import make_email

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
REPEAT = {"channel": "email", "repeat": True}


def _received(message_id: int) -> list[tuple[int | None, dict]]:
    with session_scope() as session:
        return [(e.conversation_id, e.data) for e in session.execute(
            select(Event).where(Event.message_id == message_id, Event.kind == "received")
            .order_by(Event.id)).scalars()]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_repeat_of_a_stored_case_is_received_there_and_moves_its_last_inbound(db_url, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    wrote = T0 + timedelta(minutes=20)
    time_machine.move_to(wrote, tick=False)
    second = ingest(make_email(sender="ann@example.com", subject="Also: login",
                               text="And I cannot log in on my tablet either."))
    case = first.conversation_id
    assert second.conversation_id == case
    assert _received(second.id) == [(case, REPEAT)]
    assert _utc(conversation(case).last_inbound_at) == wrote


def test_a_repeat_in_the_batch_that_opens_the_case_is_received_there(db_url, broker):
    first = accept(parse(make_email(sender="ann@example.com", subject="Withdrawal missing",
                                    text="My withdrawal of 200 USDT has not arrived.").as_bytes()))
    second = accept(parse(make_email(sender="ann@example.com", subject="Also: login",
                                     text="And I cannot log in on my tablet either.").as_bytes()))
    drain_inbound()  # one batch
    case = inbound_row(first.message_id).conversation_id
    assert _received(second.message_id) == [(case, REPEAT)]
