"""A permanent bounce of a mail of ours marks only that mail's recipient undeliverable, and
says so: an `undeliverable` event naming the address, its status, the bounced mail and the
report, and a reason on the dashboard. A report that names our Message-ID but lists other
addresses as failed (anybody can write one) marks none of them. A report that threads
nowhere joins the bounced mail's conversation; one that threads stays where it threads."""
from __future__ import annotations

from sqlalchemy import select

from channels.email import parse
from pipeline_support import conversation, inbound_row, ingest, outbound_of
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Event, Identity, Message
from support import make_email, new_message_id

DAEMON = "MAILER-DAEMON@mx.example.net"


def _report(original_message_id: str, failed: dict[str, str], *, message_id: str = "",
            in_reply_to: str = "") -> tuple[str, bytes]:
    """(its Message-ID, a delivery status notification (RFC 3464)) saying each address of
    `failed` got its status for the mail `original_message_id`."""
    message_id = message_id or new_message_id()
    blocks = "".join(f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: {status}\r\n\r\n"
                     for address, status in failed.items())
    threading = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    return message_id, (
        f"From: Mail Delivery System <{DAEMON}>\r\n"
        "To: support@pinecone.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {message_id}\r\n{threading}"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.net\r\n\r\n{blocks}"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@pinecone.example\r\nMessage-ID: {original_message_id}\r\n\r\n"
        "--R--\r\n").encode()


def _deliver(report: tuple[str, bytes]) -> int:
    """The report received and worked; its message id."""
    accepted = accept(parse(report[1]))
    drain_inbound()
    return accepted.message_id


def _undeliverable() -> set[str]:
    with session_scope() as session:
        return set(session.execute(select(Identity.address).where(Identity.undeliverable)).scalars())


def _events_of(message_id: int) -> list[tuple[str, int | None, dict]]:
    with session_scope() as session:
        return [(e.kind, e.conversation_id, e.data) for e in session.execute(
            select(Event).where(Event.message_id == message_id).order_by(Event.id)).scalars()]


def _automatic_reasons(conversation_id: int, message_id: int) -> list[str]:
    return [r["reason"] for r in conversation(conversation_id).reasons
            if r["step"] == "automatic" and r["message_id"] == message_id]


def _cases() -> tuple[int, str]:
    """Bob's and Carol's questions, each answered by our acknowledgement: Bob's conversation
    and the Message-ID of our mail to him."""
    bob = ingest(make_email(sender="bob@example.com", text="What is the fee for sending BTC?"))
    ingest(make_email(sender="carol@example.com", text="My deposit has not arrived."))
    [ack] = outbound_of(bob.conversation_id)
    assert ack.recipient == "bob@example.com"
    return bob.conversation_id, ack.external_id


def test_a_bounce_of_our_mail_marks_its_recipient_and_joins_its_conversation(db_url, broker):
    case, ack = _cases()
    bounce = _deliver(_report(ack, {"bob@example.com": "5.1.1", "carol@example.com": "5.2.1"}))
    assert _undeliverable() == {"bob@example.com"}, "carol got no mail of ours that bounced"
    assert inbound_row(bounce).conversation_id == case
    assert _events_of(bounce) == [
        ("undeliverable", case, {"address": "bob@example.com", "status": "5.1.1", "bounced_message_id": ack}),
        ("received", case, {"channel": "email", "automatic": True})]
    assert f"permanent bounce (5.1.1) of {ack}: bob@example.com marked undeliverable" \
        in _automatic_reasons(case, bounce)


def test_a_report_on_our_mail_to_bob_that_names_only_carol_marks_nobody(db_url, broker):
    _, ack = _cases()
    bounce = _deliver(_report(ack, {"carol@example.com": "5.1.1"}))
    assert _undeliverable() == set()
    assert [kind for kind, _, _ in _events_of(bounce)] == ["received", "parked"]
    parked = inbound_row(bounce).conversation_id
    assert conversation(parked).state == "parked"
    assert "delivery report names no recipient of a mail of ours: no address marked" \
        in _automatic_reasons(parked, bounce)


def test_a_bounce_that_threads_stays_in_its_thread(db_url, broker):
    case, ack = _cases()
    first_id, first = _report("<forged@elsewhere.example>", {"nobody@example.org": "5.1.1"})
    parked = inbound_row(_deliver((first_id, first))).conversation_id
    assert conversation(parked).state == "parked"
    # The same server's next report answers its first: it threads into that parked conversation.
    bounce = _deliver(_report(ack, {"bob@example.com": "5.1.1"}, in_reply_to=first_id))
    assert _undeliverable() == {"bob@example.com"}
    assert inbound_row(bounce).conversation_id == parked != case
    assert [kind for kind, _, _ in _events_of(bounce)] == ["received", "undeliverable"]


def test_a_report_on_a_customers_mail_to_us_is_no_bounce_of_ours(db_url, broker):
    """Anybody can write a report quoting a customer's Message-ID (it travels in their
    mail's headers): it is about mail we received, not sent, so it joins nobody's case and
    marks nothing, whatever address it lists."""
    case, _ = _cases()
    with session_scope() as session:
        [bobs] = session.execute(select(Message.external_id).where(
            Message.conversation_id == case, Message.direction == "in")).scalars().all()
    bounce = _deliver(_report(bobs, {"support@pinecone.example": "5.1.1", "bob@example.com": "5.1.1"}))
    assert _undeliverable() == set()
    assert [kind for kind, _, _ in _events_of(bounce)] == ["received", "parked"]
    assert inbound_row(bounce).conversation_id != case
