"""CPython's own email test messages (Lib/test/test_email/data/msg_*.txt: nested
multiparts, broken boundaries, odd charsets, bad headers) sent through our SMTP server as
raw bytes: each is stored (250 and a row) or refused with a code, and the server still
answers an ordinary mail afterwards.

The messages are not ours and are not in this repository: they are read where Python
installed its test suite, or from MSGROUTER_TEST_CPYTHON_EMAIL. Where they are missing
the test skips on a developer's machine and fails in CI (CI=true), like the corpus tests.
"""
from __future__ import annotations

import os
import re
import smtplib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from channels import email as email_channel
from router.storage.db import session_scope
from router.storage.models import Message
from smtp_server import smtp_server
from support import make_email

MAILBOX = "support@pinecone.example"
ENVELOPE_FROM = "tester@example.com"


def _data_dir() -> Path | None:
    if os.environ.get("MSGROUTER_TEST_CPYTHON_EMAIL"):
        return Path(os.environ["MSGROUTER_TEST_CPYTHON_EMAIL"])
    try:
        import test.test_email as cpython_email_tests
    except ImportError:
        return None
    return Path(cpython_email_tests.__file__).parent / "data"


def _messages() -> list[Path]:
    where = _data_dir()
    found = sorted(where.glob("msg_*.txt")) if where and where.is_dir() else []
    if not found:
        what = (f"CPython's email test messages not found (looked in {where or 'the test.test_email package'}; "
                "set MSGROUTER_TEST_CPYTHON_EMAIL to their data folder)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{what} (CI=true: CI must have them)", pytrace=False)
        pytest.skip(what)
    return found


def _count() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message)).scalar()


def _send_each(port: int, messages: list[tuple[str, bytes]]) -> tuple[list[str], dict[str, int]]:
    """Send each raw message; check each is stored (250 and a row) or refused with a code
    and not stored. Returns the names stored and the codes of those refused."""
    stored, refused, keys = [], {}, set()
    for name, raw in messages:
        before = _count()
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                assert client.sendmail(ENVELOPE_FROM, [MAILBOX], raw) == {}
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused) as exc:
            refused[name] = exc.smtp_code
        if name in refused:
            assert 400 <= refused[name] < 600, (name, refused[name])
            assert _count() == before, f"{name} was refused ({refused[name]}) yet stored"
            continue
        # A message under the same (sender, id) as an earlier one is that message again.
        inbound = email_channel.parse(raw, envelope_from=ENVELOPE_FROM, envelope_to=MAILBOX)
        key = (inbound.sender, inbound.external_id)
        assert _count() == before + (key not in keys), f"{name}: 250 but no new row"
        keys.add(key)
        stored.append(name)
    assert len(stored) + len(refused) == len(messages)
    return stored, refused


# Every message comes from one envelope sender and IP: the limits are not what is tried here.
UNLIMITED = {"smtp_messages_per_sender": 1000, "smtp_messages_per_ip": 1000}


def test_each_message_as_it_is_stored_or_refused_with_a_code_and_the_server_lives_on(db_url, broker, monkeypatch):
    messages = [(path.name, path.read_bytes()) for path in _messages()]
    with smtp_server(monkeypatch, **UNLIMITED) as port:
        stored, refused = _send_each(port, messages)
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
            assert client.send_message(make_email(text="Still there?")) == {}
    # smtplib sends bytes unchanged: files with bare LF line ends are not SMTP (RFC 5321
    # wants CRLF), and aiosmtpd refuses them whole as one over-long line (500).
    assert stored, "not one message was stored"
    print(f"{len(messages)} messages as they are: {len(stored)} stored, refused {refused}")


def test_each_message_with_crlf_line_ends_is_stored(db_url, broker, monkeypatch):
    # What a mail server relaying them would send: the same bytes with CRLF line ends.
    messages = [(path.name, re.sub(rb"\r?\n", b"\r\n", path.read_bytes())) for path in _messages()]
    with smtp_server(monkeypatch, **UNLIMITED) as port:
        stored, refused = _send_each(port, messages)
    assert refused == {}, f"refused with CRLF line ends: {refused}"
    print(f"{len(messages)} messages with CRLF: {len(stored)} stored")
