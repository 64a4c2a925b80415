"""Our SMTP server, spoken to by smtplib: the right code for every outcome."""
from __future__ import annotations

import email.policy
import smtplib

import pytest
from sqlalchemy import func, select

from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def _count() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message)).scalar()


def test_250_means_the_message_is_already_stored(smtp_port, broker):
    msg = make_email(text="Is there a fee to receive USDT?")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        refused = client.send_message(msg)
        code, _reply = client.noop()
    assert refused == {} and code == 250
    with session_scope() as session:  # no waiting: stored before the 250
        row = session.execute(select(Message).where(Message.external_id == msg["Message-ID"])).scalars().one()
    assert row.status in ("pending", "processing", "done") and row.direction == "in"


def test_unknown_mailbox_gets_550(smtp_port):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client, \
            pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("someone@example.com", ["nobody@pinecone.example"], b"Subject: x\r\n\r\nhi")
    assert refused.value.recipients["nobody@pinecone.example"][0] == 550
    assert _count() == 0


def test_mailbox_match_ignores_case(smtp_port, broker):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.sendmail("a@example.com", ["Support@Pinecone.Example"], b"Subject: hi\r\n\r\nhello")
    assert _count() == 1


def test_oversized_message_gets_552(db_url, monkeypatch):
    from channels.email.server import make_controller
    from config.settings import get_settings
    from support import free_port

    port = free_port()
    monkeypatch.setenv("MSGROUTER_SMTP_PORT", str(port))
    monkeypatch.setenv("MSGROUTER_SMTP_MAX_MESSAGE_BYTES", "20000")
    get_settings.cache_clear()
    controller = make_controller()
    controller.start()
    try:
        big = make_email(text=("x" * 70 + "\n") * 700)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            # smtplib announces SIZE, so the refusal comes at MAIL FROM; without SIZE, at DATA.
            with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
                client.send_message(big)
            assert refused.value.smtp_code == 552
        # A client that does not announce the size is refused when the data runs over.
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            assert client.mail("a@example.com")[0] == 250
            assert client.rcpt("support@pinecone.example")[0] == 250
            assert client.data(big.as_bytes(policy=email.policy.SMTP))[0] == 552
    finally:
        controller.stop()
    assert _count() == 0


def test_database_down_gets_451_and_the_sender_keeps_the_mail(smtp_port, monkeypatch):
    from config.settings import get_settings
    from support import free_port

    # A PostgreSQL URL on a port where nothing listens: the insert cannot happen.
    monkeypatch.setenv("MSGROUTER_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    get_settings.cache_clear()
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.send_message(make_email())
    assert refused.value.smtp_code == 451


def test_malformed_mail_is_accepted_with_what_could_be_read(smtp_port, broker):
    raw = (b"From: broken <<bad@@example.com\r\nSubject: =?gb2312?B?broken\r\n"
           b"Content-Type: text/plain; charset=nonsense-charset\r\nno colon header line\r\n\r\n"
           b"\xc4\xe3\xba\xc3 my transfer is stuck\r\n")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.sendmail("bad@example.com", ["support@pinecone.example"], raw)
    with session_scope() as session:
        row = session.execute(select(Message)).scalars().one()
    assert "transfer is stuck" in row.text
    assert row.external_id.startswith("sha256:")


def test_bounce_with_null_sender_is_kept_but_never_acknowledged(smtp_port, broker, sink):
    from router.queue.drain import drain_inbound

    bounce = make_email(sender="mailer@example.net", subject="Undelivered Mail Returned to Sender",
                        text="This is the mail system. Your message could not be delivered.")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.sendmail("<>", ["support@pinecone.example"], bounce.as_bytes())
    drain_inbound()
    with session_scope() as session:
        row = session.execute(select(Message).where(Message.direction == "in")).scalars().one()
        replies = session.execute(select(func.count()).select_from(Message)
                                  .where(Message.direction == "out")).scalar()
    assert row.auto_submitted, "an empty MAIL FROM marks a bounce"
    assert replies == 0, "answering a bounce starts a mail loop"
