"""On SQLite every statement a drained batch sends reads the desk's growing tables through
an index, never by reading them whole: a batch's cost must not grow with the history
behind it. (SQLite plans without statistics; two lookups once took the wrong road, a
row-value IN over identities and the dedupe query over every inbound message.)
PostgreSQL's plans are tests/router/test_query_plans.py's."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from channels.base import Inbound
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import get_engine

GROWING = ("message", "conversation", "identity", "customer", "ack_quota", "event", "attachment")


def _every_inbound_message(step: str) -> bool:
    """ix_message_work by direction alone: every message ever received (ix_message_live,
    partial, holds only the messages still in flight)."""
    return "INDEX ix_message_work (direction=?)" in step


def _every_message_of_a_channel(step: str) -> bool:
    """ix_message_channel_external_id by channel alone: all the mail ever stored."""
    return "INDEX ix_message_channel_external_id (channel=?)" in step


def _mail(sender: str, text: str, channel: str = "email") -> None:
    accept(Inbound(channel=channel, external_id=f"<{uuid.uuid4().hex}@example.com>", sender=sender,
                   subject="Withdrawal", text=text))


def _delivery_report(original_message_id: str) -> None:
    """A mailer daemon's permanent failure report about `original_message_id` (RFC 3464)."""
    from channels import email as email_channel

    accept(email_channel.parse((
        "From: MAILER-DAEMON@mx.example.net\r\nTo: support@pinecone.example\r\n"
        f"Subject: Undelivered Mail\r\nMessage-ID: <{uuid.uuid4().hex}@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@pinecone.example\r\nMessage-ID: {original_message_id}\r\n\r\n--R--\r\n").encode()))


def test_a_batch_reads_no_growing_table_whole(db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's plans")
    # History first: customers, conversations and messages the batch must not read through.
    for i in range(30):
        _mail(f"old{i}@example.com", f"Where is my deposit number {i}?")
    drain_inbound()
    with get_engine().connect() as conn:
        old_id = conn.exec_driver_sql("SELECT external_id FROM message WHERE sender = 'old5@example.com'").scalar()
    plans: dict[str, list[str]] = {}

    def explain(_conn, cursor, statement, parameters, _context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            plans[statement] = [row[3] for row in cursor.connection.execute(
                "EXPLAIN QUERY PLAN " + statement, parameters)]

    event.listen(get_engine(), "before_cursor_execute", explain)
    try:
        # New senders, a returning one, the same text twice (dedupe), a form from a mail
        # address, a delivery report, a reply by mail, a chat message.
        _mail("new@example.com", "My withdrawal of 2 ETH is missing")
        _mail("new@example.com", "My withdrawal of 2 ETH is missing")
        _mail("old3@example.com", "Still no deposit, please answer")
        _mail("form@example.com", "Fees question", channel="webform")
        _delivery_report(f"<{uuid.uuid4().hex}@pinecone.example>")  # which of our mails bounced
        accept(Inbound(channel="email", external_id=f"<{uuid.uuid4().hex}@example.com>",  # a reply
                       sender="old5@example.com", subject="Re: Withdrawal", text="Any news on my deposit?",
                       in_reply_to=old_id, references=[old_id]))
        accept(Inbound(channel="chat", external_id=uuid.uuid4().hex, sender="cust-1", text="Hello?"))
        drain_inbound()
    finally:
        event.remove(get_engine(), "before_cursor_execute", explain)
    assert any("message.text IN" in s for s in plans), "the dedupe query ran"
    assert any("message.recipient" in s for s in plans), "the bounced mail was looked for"
    assert any("message.external_id IN" in s for s in plans), "the reply's references were looked up"
    assert any("conversation.channel IN" in s for s in plans), "the chat customer's open chats were"
    reads_whole = {" ".join(s.split())[:160]: plan for s, plan in plans.items()
                   if any(step.startswith(f"SCAN {table}") or _every_inbound_message(step)
                          or _every_message_of_a_channel(step)
                          for step in plan for table in GROWING)}
    assert not reads_whole, reads_whole
