"""Our SMTP server against generated dialogues, over a real socket.

Whatever a client writes, every line the server sends back is a well-formed reply (three
digits 2xx-5xx, then a space or a dash), until QUIT or its own refusal ends the session; every
message the server answers 250 is stored exactly once (and nothing it refused is); a
well-formed mail gets 250 or a permanent refusal, never a 4xx that would make its sender
retry for ever; and an ordinary mail is accepted after every dialogue.

Stored once means: a 250 adds a row, or it acknowledges a redelivery of a mail stored
before. Only mails the test could not give an id of their own are redelivered: a DATA
whose lines are the dialogue's junk has no Message-ID, so its id is a hash of its bytes,
and the same junk drawn in another example is the same mail.
"""
from __future__ import annotations

import itertools
import logging
import re
import smtplib
import socket
import uuid

import pytest
from hypothesis import given
from sqlalchemy import func, select

from fuzz.conftest import FUZZ
from fuzz.smtp_strategies import UNIQUE_ID, dialogue, transaction
from router.storage.db import read_scope
from router.storage.models import Message
from support import make_email

REPLY = re.compile(rb"^[2-5][0-9][0-9]([ -].*)?$")


def _unique(writes: list[bytes]) -> list[bytes]:
    """Give each message its own Message-ID, so no two are the same mail and every 250
    must add a row."""
    return [re.sub(re.escape(UNIQUE_ID), lambda _: b"Message-ID: <%s@fuzz.example>\r\n" % uuid.uuid4().hex.encode(), w)
            for w in writes]


def converse(port: int, writes: list[bytes]) -> list[bytes]:
    """Write each chunk, then end any DATA left open and QUIT, as a client does that waits
    for its answers; return every line the server sent until it closed the session."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            for chunk in [*writes, b"\r\n.\r\nQUIT\r\n"]:
                sock.sendall(chunk)
        except OSError:  # broken pipe, reset: the server closed the session (QUIT, 421)
            pass  # what it said before is still readable
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                raise AssertionError(f"no reply and no close within 20 s; so far: {received[-500:]!r}") from None
            if not data:
                break
            received += data
    assert received.endswith(b"\r\n") or not received, f"a reply cut short: {received[-200:]!r}"
    return received.split(b"\r\n")[:-1]


def data_results(lines: list[bytes]) -> list[int]:
    """The server's answer to each message it took (the reply that follows a 354)."""
    finals = [int(line[:3]) for line in lines if line[3:4] != b"-"]
    return [code for before, code in itertools.pairwise(finals) if before == 354]


def _inbound_rows() -> int:
    with read_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(Message.direction == "in")
                               ).scalar_one()


def _redeliveries(records: list[logging.LogRecord]) -> list[int]:
    """The stored messages that the mails intake took for redeliveries belong to."""
    return [r.message_id for r in records if r.name == "router.queue.intake" and r.getMessage().startswith("duplicate")]


def _made_unique(message_ids: list[int]) -> list[str]:
    """Those of `message_ids` whose mail carried an id this test made unique."""
    with read_scope() as session:
        return list(session.execute(select(Message.external_id).where(
            Message.id.in_(message_ids), Message.external_id.like("%@fuzz.example>"))).scalars())


def _check(port: int, writes: list[bytes], caplog: pytest.LogCaptureFixture) -> list[int]:
    caplog.set_level(logging.INFO, logger="router.queue.intake")  # where redeliveries are told
    before, logged = _inbound_rows(), len(caplog.records)
    lines = converse(port, _unique(writes))
    bad = [line for line in lines if not REPLY.match(line)]
    assert not bad, f"malformed replies: {bad[:5]}"
    assert lines and lines[0].startswith(b"220"), f"no greeting: {lines[:2]}"
    results = data_results(lines)
    again = _redeliveries(caplog.records[logged:])
    assert not _made_unique(again), "a mail with an id of its own was taken for a redelivery"
    assert _inbound_rows() - before == results.count(250) - len(again), \
        f"250s {results}, {len(again)} of them redeliveries, but {_inbound_rows() - before} rows"
    # The server is still there for the next customer.
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        assert client.send_message(make_email(text="Still there?")) == {}
    assert _inbound_rows() - before == results.count(250) - len(again) + 1
    return results


@FUZZ
@given(writes=dialogue())
def test_any_dialogue_gets_well_formed_replies_and_the_server_lives(smtp_port, broker, caplog, writes):
    _check(smtp_port, writes, caplog)


@FUZZ
@given(writes=transaction())
def test_a_mail_after_any_dialogue_is_stored_once_or_refused_for_good(smtp_port, broker, caplog, writes):
    results = _check(smtp_port, writes, caplog)
    assert results, "the transaction's DATA got no 354"
    temporary = [code for code in results if 400 <= code < 500]
    assert not temporary, f"temporary failure on a healthy database (the sender would retry for ever): {results}"
