"""The SMTP server's abuse limits, each met by real smtplib clients: 421 past the
connections per IP, 452 past the recipients per message, 451 4.7.1 past the messages per
sender or per IP in the window. Refused mail is not stored; the sender's server retries."""
from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import func, select

from router.storage.db import session_scope
from router.storage.models import Message
from smtp_server import smtp_server
from support import make_email, wait_for

MAILBOX = "support@pinecone.example"


def _count() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message)).scalar()


def _send(port: int, sender: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.sendmail(sender, [MAILBOX], make_email(sender=sender).as_bytes())


def test_a_connection_past_the_limit_per_ip_gets_421_and_a_freed_one_is_taken(db_url, monkeypatch):
    with smtp_server(monkeypatch, smtp_max_connections_per_ip=2) as port:
        first, second = smtplib.SMTP("127.0.0.1", port, timeout=20), smtplib.SMTP("127.0.0.1", port, timeout=20)
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            smtplib.SMTP("127.0.0.1", port, timeout=20)
        assert refused.value.smtp_code == 421 and b"Too many connections" in refused.value.smtp_error
        assert second.noop()[0] == 250, "the connections within the limit go on"
        first.quit()

        def connects() -> bool:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=20).quit()
            except smtplib.SMTPConnectError:
                return False
            return True
        wait_for(connects, timeout=10, what="a place freed by the closed connection")
        second.quit()


def test_a_recipient_past_the_limit_per_message_gets_452(db_url, broker, monkeypatch):
    with smtp_server(monkeypatch, smtp_max_recipients=2) as port, smtplib.SMTP("127.0.0.1", port, timeout=20) as c:
        c.ehlo()
        assert c.mail("many@example.com")[0] == 250
        assert [c.rcpt(MAILBOX)[0] for _ in range(3)] == [250, 250, 452]
        assert c.data(make_email(sender="many@example.com").as_bytes())[0] == 250  # the two taken go through
    assert _count() == 1


def test_messages_past_the_limit_per_sender_get_451_and_other_senders_go_on(db_url, broker, monkeypatch):
    with smtp_server(monkeypatch, smtp_messages_per_sender=2, smtp_messages_per_ip=100) as port:
        _send(port, "busy@example.com")
        _send(port, "BUSY@example.com")  # one address, whatever its case
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            _send(port, "busy@example.com")
        assert refused.value.smtp_code == 451
        assert refused.value.smtp_error.startswith(b"4.7.1 Too many messages from this sender address (2 per 600 s)")
        _send(port, "calm@example.com")
    assert _count() == 3


def test_messages_past_the_limit_per_ip_get_451_whoever_sends_them(db_url, broker, monkeypatch):
    with smtp_server(monkeypatch, smtp_messages_per_sender=100, smtp_messages_per_ip=3) as port:
        for n in range(3):
            _send(port, f"sender{n}@example.com")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            _send(port, "fresh@example.com")
        assert refused.value.smtp_code == 451
        assert refused.value.smtp_error.startswith(b"4.7.1 Too many messages from this IP address (3 per 600 s)")
    assert _count() == 3


def test_the_window_moves_on(db_url, broker, monkeypatch):
    with smtp_server(monkeypatch, smtp_messages_per_sender=1, smtp_rate_window_seconds=1) as port:
        _send(port, "again@example.com")
        with pytest.raises(smtplib.SMTPSenderRefused):
            _send(port, "again@example.com")

        def taken() -> bool:
            try:
                _send(port, "again@example.com")
            except smtplib.SMTPSenderRefused:
                return False
            return True
        wait_for(taken, timeout=10, interval=0.3, what="the window to move on")
    assert _count() == 2
