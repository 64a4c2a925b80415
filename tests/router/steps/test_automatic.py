"""The automatic step on its own: a person's mail that would join a parked conversation
(one holding only machine mail) opens a case of its own, on its own clock; machine mail
in one batch with a person's does not take the person's case from them."""
from __future__ import annotations

from sqlalchemy import select

from channels.email import parse
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Message
from support import make_email


def _conversation_of(message_id: str) -> Conversation:
    with session_scope() as session:
        message = session.execute(select(Message).where(Message.external_id == message_id)).scalar_one()
        assert message.status == "done", message.error
        return session.get(Conversation, message.conversation_id)


def test_a_person_answering_parked_mail_gets_a_case_of_their_own(db_url, broker):
    newsletter = make_email(sender="wei@example.com", subject="Weekly digest", text="Your weekly digest.",
                            headers={"Precedence": "bulk"})
    accept(parse(newsletter.as_bytes()))
    drain_inbound()
    parked = _conversation_of(newsletter["Message-ID"])
    assert parked.state == "parked"

    question = make_email(sender="wei@example.com", subject="Re: Weekly digest",
                          text="My withdrawal is missing, please help.", in_reply_to=newsletter["Message-ID"],
                          references=[newsletter["Message-ID"]])
    accept(parse(question.as_bytes()))
    drain_inbound()
    case = _conversation_of(question["Message-ID"])
    assert case.id != parked.id
    assert case.state == "open" and case.pool_id is not None and case.first_reply_due_at is not None
    assert _conversation_of(newsletter["Message-ID"]).state == "parked"


def test_in_one_batch_machine_mail_first_and_the_person_after_each_go_their_way(db_url, broker):
    auto = make_email(sender="wei@example.com", subject="Automatic reply", text="I am away.",
                      headers={"Auto-Submitted": "auto-replied"})
    person = make_email(sender="wei@example.com", subject="Re: Automatic reply", text="Back now: fee question.",
                        in_reply_to=auto["Message-ID"], references=[auto["Message-ID"]])
    accept(parse(auto.as_bytes()))
    accept(parse(person.as_bytes()))
    drain_inbound()  # both in one batch: the person's mail follows the machine's
    assert _conversation_of(auto["Message-ID"]).state == "parked"
    case = _conversation_of(person["Message-ID"])
    assert case.state == "open" and case.due_at is not None
