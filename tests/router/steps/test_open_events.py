"""The open step writes what it did to the event log the dashboard's history shows: a new
conversation starts with `received` for the message that opened it, on its channel and
marked new; machine mail that threads nowhere is also `parked`, with the sign that gave
it away. Mail in through intake and the pipeline, one batch."""
from __future__ import annotations

from sqlalchemy import select

from channels.email import parse
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event, Message
from support import make_email


def _opened(message_id: str) -> tuple[int, str, list[tuple[str, int | None, dict]]]:
    """(its id, why it was automatic, the received and parked events of its conversation)."""
    with session_scope() as session:
        message = session.execute(select(Message).where(Message.external_id == message_id)).scalar_one()
        assert message.status == "done", message.error
        events = session.execute(select(Event).where(
            Event.conversation_id == message.conversation_id, Event.kind.in_(("received", "parked")))
            .order_by(Event.id)).scalars()
        return message.id, message.auto_reason, [(e.kind, e.message_id, e.data) for e in events]


def test_a_new_case_and_parked_machine_mail_each_record_what_opened_them(db_url, broker):
    person = make_email(sender="ana@example.com", subject="Fees", text="What is the fee for sending USDT?")
    digest = make_email(sender="news@example.com", subject="Weekly digest", text="Your weekly digest.",
                        headers={"Precedence": "bulk"})
    accept(parse(person.as_bytes()))
    accept(parse(digest.as_bytes()))
    drain_inbound()  # one batch

    opened, _, events = _opened(person["Message-ID"])
    assert events == [("received", opened, {"channel": "email", "new_conversation": True})]

    machine, reason, events = _opened(digest["Message-ID"])
    assert reason, "the sign is kept on the message"
    assert events == [("received", machine, {"channel": "email", "new_conversation": True}),
                      ("parked", machine, {"reason": reason})]
