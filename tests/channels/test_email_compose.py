"""Tests for channels.email.compose and channels.email.relay.

The relay tests deliver to a real aiosmtpd server on a loopback port; the
transient cases use a port nothing listens on and a server that never greets.
"""
from __future__ import annotations

import email
import re
import socket
from datetime import UTC, datetime, timedelta
from email import policy
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller

from channels.base import Outbound
from channels.email.compose import compose, new_message_id, trim_references
from channels.email.mime import parse
from channels.email.relay import send

DESK = "support@desk.example"


def make_outbound(**overrides) -> Outbound:
    values = {"channel": "email", "recipient": "customer@example.com", "subject": "Re: 提币失败 [#42]",
                  "text": "您好！\n\n我们已经处理了您的提币申请，请查收。\n\nSupport team",
                  "message_id": "<msgrouter.42.abc@desk.example>", "in_reply_to": "<cust-2@example.com>",
                  "references": ["<cust-1@example.com>", "<msgrouter.42.first@desk.example>"], "language": "zh"}
    values.update(overrides)
    return Outbound(**values)


def reparse(msg) -> email.message.EmailMessage:
    return email.message_from_bytes(msg.as_bytes(), policy=policy.default)


# ---------------------------------------------------------------- compose

def test_headers_are_present_and_correct():
    msg = reparse(compose(make_outbound(), from_addr=DESK, from_name="钱包 客服"))
    assert str(msg["From"]) == "钱包 客服 <support@desk.example>"
    assert msg["To"] == "customer@example.com"
    assert msg["Subject"] == "Re: 提币失败 [#42]"
    assert msg["Message-ID"] == "<msgrouter.42.abc@desk.example>"
    assert msg["In-Reply-To"] == "<cust-2@example.com>"
    assert msg["References"].split() == ["<cust-1@example.com>", "<msgrouter.42.first@desk.example>",
                                         "<cust-2@example.com>"]
    assert msg["Content-Language"] == "zh"
    assert abs(parsedate_to_datetime(msg["Date"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert msg["Auto-Submitted"] is None and msg["X-Auto-Response-Suppress"] is None
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert not msg.is_multipart()


def test_wire_form_is_7bit_with_encoded_headers():
    wire = compose(make_outbound(), from_addr=DESK).as_bytes()
    assert wire.isascii()
    assert re.search(rb"^Content-Transfer-Encoding: (base64|quoted-printable)\r$", wire, re.M)
    assert b"=?utf-8?" in wire


def test_round_trip_through_parse_keeps_chinese_subject_and_text():
    outbound = make_outbound()
    inbound = parse(compose(outbound, from_addr=DESK, from_name="客服").as_bytes())
    assert inbound.subject == outbound.subject
    assert inbound.text == outbound.text
    assert (inbound.sender, inbound.sender_name) == (DESK, "客服")
    assert inbound.external_id == outbound.message_id
    assert inbound.in_reply_to == outbound.in_reply_to
    assert inbound.parse_notes == []
    assert inbound.auto_submitted is False


def test_automatic_messages_are_marked():
    msg = compose(make_outbound(automatic=True), from_addr=DESK)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert parse(msg.as_bytes()).auto_submitted is True


def test_optional_headers_are_left_out_when_empty():
    msg = compose(make_outbound(in_reply_to="", references=[], language=""), from_addr=DESK)
    assert msg["In-Reply-To"] is None and msg["References"] is None and msg["Content-Language"] is None


def test_line_breaks_in_subject_do_not_inject_headers():
    msg = compose(make_outbound(subject="Hello\r\nBcc: victim@example.com"), from_addr=DESK)
    assert msg["Bcc"] is None and msg["Subject"] == "Hello Bcc: victim@example.com"


@pytest.mark.parametrize("overrides", [{"message_id": ""}, {"message_id": "   "},
                                       {"recipient": "not an address"}, {"recipient": "a@b.example\r\nBcc: x@y"}])
def test_compose_refuses_missing_message_id_or_bad_recipient(overrides):
    with pytest.raises(ValueError, match=r"message_id|not an email address"):
        compose(make_outbound(**overrides), from_addr=DESK)


def test_references_keep_root_and_newest():
    ids = [f"<id{i}@x.example>" for i in range(30)]
    trimmed = trim_references(ids, "<parent@x.example>")
    assert len(trimmed) == 20
    assert trimmed[0] == "<id0@x.example>" and trimmed[-1] == "<parent@x.example>"
    assert trimmed[1:-1] == ids[-18:]
    assert trim_references(["<a@x>", "<a@x>", " ", "<b@x>"], "<a@x>") == ["<a@x>", "<b@x>"]
    msg = compose(make_outbound(references=ids), from_addr=DESK)
    assert reparse(msg)["References"].split() == trim_references(ids, make_outbound().in_reply_to)


def test_new_message_id_format():
    first, second = new_message_id("desk.example", 42), new_message_id("desk.example")
    assert re.fullmatch(r"<msgrouter\.42\.[0-9a-f]{32}@desk\.example>", first)
    assert re.fullmatch(r"<msgrouter\.0\.[0-9a-f]{32}@desk\.example>", second)
    assert first != new_message_id("desk.example", 42)
    with pytest.raises(ValueError, match="not a mail domain"):
        new_message_id(" ")


# ---------------------------------------------------------------- relay

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """An SMTP sink: records envelopes, refuses unknown@ (550) and busy@ (451), rejects spam at DATA (554)."""

    def __init__(self):
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("unknown@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if b"SPAM" in envelope.content:
            return "554 5.7.1 Message rejected as spam"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued as TEST123"


@pytest.fixture
def sink():
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_relay_delivers_to_a_real_smtp_server(sink):
    handler, port = sink
    outbound = make_outbound()
    result = send(outbound, host="127.0.0.1", port=port, from_addr=DESK, from_name="客服", timeout=5)
    assert result.ok and not result.permanent
    assert "250" in result.detail and "queued as TEST123" in result.detail
    [(mail_from, rcpt_tos, content)] = handler.envelopes
    assert (mail_from, rcpt_tos) == (DESK, ["customer@example.com"])
    received = parse(content)
    assert received.external_id == outbound.message_id
    assert (received.subject, received.text) == (outbound.subject, outbound.text)
    assert received.references == ["<cust-1@example.com>", "<msgrouter.42.first@desk.example>", "<cust-2@example.com>"]


def test_relay_550_recipient_is_permanent(sink):
    handler, port = sink
    result = send(make_outbound(recipient="unknown@example.com"), host="127.0.0.1", port=port, from_addr=DESK,
                  timeout=5)
    assert (result.ok, result.permanent) == (False, True)
    assert "550" in result.detail and handler.envelopes == []


def test_relay_554_at_data_is_permanent(sink):
    _, port = sink
    result = send(make_outbound(text="SPAM SPAM"), host="127.0.0.1", port=port, from_addr=DESK, timeout=5)
    assert (result.ok, result.permanent) == (False, True) and "554" in result.detail


def test_relay_451_is_transient(sink):
    _, port = sink
    result = send(make_outbound(recipient="busy@example.com"), host="127.0.0.1", port=port, from_addr=DESK, timeout=5)
    assert (result.ok, result.permanent) == (False, False) and "451" in result.detail


def test_relay_closed_port_is_transient():
    result = send(make_outbound(), host="127.0.0.1", port=free_port(), from_addr=DESK, timeout=5)
    assert (result.ok, result.permanent) == (False, False)
    assert "unreachable" in result.detail


def test_relay_that_never_answers_times_out_as_transient():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        result = send(make_outbound(), host="127.0.0.1", port=silent.getsockname()[1], from_addr=DESK, timeout=0.5)
    assert (result.ok, result.permanent) == (False, False)


def test_relay_login_refused_is_transient(sink):
    _, port = sink  # The sink offers no AUTH: a set-up problem, not the message's.
    result = send(make_outbound(), host="127.0.0.1", port=port, from_addr=DESK, username="u", password="p", timeout=5)
    assert (result.ok, result.permanent) == (False, False)


def test_relay_cannot_compose_is_permanent():
    result = send(make_outbound(message_id=""), host="127.0.0.1", port=1, from_addr=DESK)
    assert (result.ok, result.permanent) == (False, True) and "message_id" in result.detail
