"""A person's mail that would land in a parked conversation opens a case of its own, and the
case says why: which parked conversation it would have joined (a stored one by its number,
one the same batch parks by the automatic message that parks it)."""
from __future__ import annotations

from channels.email import parse
from pipeline_support import conversation, inbound_row
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from support import make_email

TAIL = ", which holds only automatic mail: a case of its own"


def _automatic_reasons(conversation_id: int) -> list[tuple[int, str]]:
    return [(r["message_id"], r["reason"]) for r in conversation(conversation_id).reasons
            if r["step"] == "automatic"]


def test_an_answer_to_stored_parked_mail_names_the_parked_conversation(db_url, broker):
    digest = make_email(sender="wei@example.com", subject="Weekly digest", text="Your weekly digest.",
                        headers={"Precedence": "bulk"})
    stored = accept(parse(digest.as_bytes()))
    drain_inbound()
    parked = inbound_row(stored.message_id).conversation_id
    assert conversation(parked).state == "parked"

    question = accept(parse(make_email(
        sender="wei@example.com", subject="Re: Weekly digest", text="My withdrawal is missing, please help.",
        in_reply_to=digest["Message-ID"], references=[digest["Message-ID"]]).as_bytes()))
    drain_inbound()
    case = inbound_row(question.message_id).conversation_id
    assert case != parked
    assert _automatic_reasons(case) == [(question.message_id, f"would join the parked conversation #{parked}{TAIL}")]


def test_an_answer_to_machine_mail_of_the_same_batch_names_that_mail(db_url, broker):
    away = make_email(sender="wei@example.com", subject="Automatic reply", text="I am away.",
                      headers={"Auto-Submitted": "auto-replied"})
    machine = accept(parse(away.as_bytes()))
    person = accept(parse(make_email(
        sender="wei@example.com", subject="Re: Automatic reply", text="Back now: fee question.",
        in_reply_to=away["Message-ID"], references=[away["Message-ID"]]).as_bytes()))
    drain_inbound()  # one batch: the person's mail follows the machine's, which parks
    case = inbound_row(person.message_id).conversation_id
    assert case != inbound_row(machine.message_id).conversation_id
    assert _automatic_reasons(case) == [
        (person.message_id, f"would join the parked conversation of automatic message {machine.message_id}{TAIL}")]
