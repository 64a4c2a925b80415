"""A person's mail that would have joined a parked conversation, and opens a case of its own
instead, is received once, in its own case: the parked conversation's history shows no
message that is not in it, and the new case does not show it twice. Whether the parked
conversation is stored or parked by the same batch."""
from __future__ import annotations

from sqlalchemy import select

from channels.email import parse
from pipeline_support import inbound_row
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event
from support import make_email


def _received(message_id: int) -> list[int | None]:
    """The conversations the message's `received` events name."""
    with session_scope() as session:
        return list(session.execute(select(Event.conversation_id).where(
            Event.message_id == message_id, Event.kind == "received").order_by(Event.id)).scalars())


def _answer(to) -> bytes:
    return make_email(sender="wei@example.com", subject="Re: " + str(to["Subject"]), text="My withdrawal is missing.",
                      in_reply_to=to["Message-ID"], references=[to["Message-ID"]]).as_bytes()


def test_an_answer_to_stored_parked_mail_is_received_only_in_its_own_case(db_url, broker):
    digest = make_email(sender="wei@example.com", subject="Weekly digest", text="Your weekly digest.",
                        headers={"Precedence": "bulk"})
    stored = accept(parse(digest.as_bytes()))
    drain_inbound()
    question = accept(parse(_answer(digest)))
    drain_inbound()
    case = inbound_row(question.message_id).conversation_id
    assert case != inbound_row(stored.message_id).conversation_id
    assert _received(question.message_id) == [case]


def test_an_answer_to_machine_mail_of_its_batch_is_received_once(db_url, broker):
    away = make_email(sender="wei@example.com", subject="Automatic reply", text="I am away.",
                      headers={"Auto-Submitted": "auto-replied"})
    machine = accept(parse(away.as_bytes()))
    person = accept(parse(_answer(away)))
    drain_inbound()  # one batch
    case = inbound_row(person.message_id).conversation_id
    assert case != inbound_row(machine.message_id).conversation_id
    assert _received(person.message_id) == [case]



def test_the_other_messages_of_the_batch_keep_their_receipt(db_url, broker):
    """Taking the detached mail's `received` back touches no other message's: here Ann's
    reply, which threading received into her case in the same batch."""
    digest = make_email(sender="wei@example.com", subject="Weekly digest", text="Your weekly digest.",
                        headers={"Precedence": "bulk"})
    first = make_email(sender="ann@example.com", subject="Card declined", text="My card is declined when I buy BTC.")
    accept(parse(digest.as_bytes()))
    anns = accept(parse(first.as_bytes()))
    drain_inbound()
    case = inbound_row(anns.message_id).conversation_id
    reply = accept(parse(make_email(sender="ann@example.com", subject="Re: Card declined", text="It was a Visa card.",
                                    in_reply_to=first["Message-ID"], references=[first["Message-ID"]]).as_bytes()))
    question = accept(parse(_answer(digest)))
    drain_inbound()  # one batch: Ann's reply, then Wei's answer to the parked digest
    assert inbound_row(reply.message_id).conversation_id == case
    assert _received(reply.message_id) == [case]
    assert _received(question.message_id) == [inbound_row(question.message_id).conversation_id]
