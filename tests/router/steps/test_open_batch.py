"""open takes the whole batch in order: a message that threads into a case, or follows an
earlier one of the batch, does not end the step for the messages after it; each new
message after it still opens its own case."""
from __future__ import annotations

from channels import email as email_channel
from pipeline_support import conversation, delivered, ingest
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def _one_batch(*mails) -> list[Message]:
    ids = [accept(email_channel.parse(m.as_bytes())).message_id for m in mails]
    drain_inbound()
    with session_scope() as session:
        return [session.get(Message, i) for i in ids]


def test_new_mail_after_a_reply_in_the_same_batch_opens_its_own_case(db_url, broker, sink):
    first = ingest(make_email(sender="ann@example.com", subject="Login", text="I cannot log in."))
    [ack] = delivered(sink, "ann@example.com")
    reply, bob, carol = _one_batch(
        make_email(sender="ann@example.com", subject="Re: " + str(ack["Subject"]), text="Still nothing.",
                   in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]]),
        make_email(sender="bob@example.com", subject="Fees", text="What are your fees?"),
        make_email(sender="carol@example.com", subject="Deposit", text="My deposit is missing."))
    assert reply.conversation_id == first.conversation_id
    assert len({first.conversation_id, bob.conversation_id, carol.conversation_id}) == 3
    assert [(m.status, conversation(m.conversation_id).state) for m in (bob, carol)] == [("done", "open")] * 2


def test_new_mail_after_a_follower_in_the_same_batch_opens_its_own_case(db_url, broker, sink):
    """Ann's second mail follows her first (same sender within the hour: `repeat`); Bob's,
    after it in the batch, opens his own case."""
    ann, again, bob = _one_batch(
        make_email(sender="ann@example.com", subject="Login", text="I cannot log in."),
        make_email(sender="ann@example.com", subject="Login, again", text="Still cannot log in, on my phone."),
        make_email(sender="bob@example.com", subject="Fees", text="What are your fees?"))
    assert again.conversation_id == ann.conversation_id is not None
    assert bob.conversation_id not in (None, ann.conversation_id)
    assert (bob.status, conversation(bob.conversation_id).state) == ("done", "open")
    # A new case records when its customer last wrote: now, the message that opened it.
    opened = conversation(bob.conversation_id)
    assert opened.last_inbound_at == opened.created_at is not None
    assert opened.updated_at == opened.created_at, "last changed when it was opened"
    assert opened.subject == "Fees", "the case is named by the mail that opened it"


def test_a_case_takes_the_first_500_characters_of_a_long_subject(db_url, broker, sink):
    subject = "Withdrawal " + "x" * 600
    mail = ingest(make_email(sender="ann@example.com", subject=subject, text="My withdrawal is missing."))
    assert conversation(mail.conversation_id).subject == subject[:500]
