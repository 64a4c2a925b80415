"""Tests for channels.email.compose and channels.email.relay.

The prepared composition (`template(...).render`) must parse back to the same headers
and text as the reference composer (`compose`), on chosen and on generated input. The
relay tests deliver to a real aiosmtpd server on a loopback port; the transient cases
use a port nothing listens on and a server that never greets.
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
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.base import Outbound
from channels.email.compose import compose, new_message_id, template, trim_references
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


# ---------------------------------------------------------------- prepared composition

# Every header a reader of our mail uses. Date is compared as a time, not as text; Subject
# with what was asked for, because the reference writes a word that looks like an RFC 2047
# encoded word ("=?utf-8?q?...?=") as it is, and a reader then decodes it.
COMPARED = ("From", "To", "Message-ID", "In-Reply-To", "References", "Auto-Submitted",
            "X-Auto-Response-Suppress", "MIME-Version", "Content-Type", "Content-Language")
SENDERS = ["", "Pinecone Wallet Support", "钱包 客服", "Ünïcode Désk", "a name long enough to be folded " * 3]


def assert_prepared_reads_as_reference(outbound: Outbound, from_name: str) -> None:
    wire = template(DESK, from_name).render(outbound)
    prepared = email.message_from_bytes(wire, policy=policy.default)
    reference = reparse(compose(outbound, from_addr=DESK, from_name=from_name))
    for name in COMPARED:  # as a reader unfolds them: folding may differ, the words may not
        assert _unfolded(prepared[name]) == _unfolded(reference[name]), name
    assert prepared["Subject"] == " ".join(outbound.subject.split())
    assert prepared.get_content() == reference.get_content()
    apart = parsedate_to_datetime(prepared["Date"]) - parsedate_to_datetime(reference["Date"])
    assert abs(apart) < timedelta(minutes=1)
    # What survives a 7-bit relay: ASCII only, CRLF lines within SMTP's 998, nothing malformed.
    assert wire.isascii() and b"\n" not in wire.replace(b"\r\n", b"")
    assert max(map(len, wire.split(b"\r\n"))) <= 998
    head = wire.split(b"\r\n\r\n", 1)[0]
    assert all(len(word) <= 75 for word in re.findall(rb"=\?utf-8\?[bq]\?[^?]*\?=", head, re.I))  # RFC 2047 2
    assert prepared.defects == [] and all(prepared[n].defects == () for n in prepared)


def _unfolded(value: object) -> str | None:
    return None if value is None else " ".join(str(value).split())


@pytest.mark.parametrize("overrides", [
    {},
    {"subject": "我们已收到您的消息，客服人员将尽快处理您的提币申请 " * 6 + "[#42]", "automatic": True},
    {"subject": "Re: " + "a rather long English subject about a withdrawal " * 8, "language": "en",
     "text": "Dear customer,\n\n" + "We looked at the transfer and it is on its way. " * 30},
    {"references": [f"<msg-{i}.{'x' * i}@mail{i}.example>" for i in range(30)]},
    {"subject": "=?utf-8?q?not_an_encoded_word?= [#7]", "text": "Café au lait, naïve résumé.\r\nLine two  \n"},
    {"subject": "", "text": "", "in_reply_to": "", "references": [], "language": ""},
    {"subject": "🔐 钱包 wallet 🔑 " + "x" * 120, "text": "😀 emoji\n" + "长" * 500},
], ids=["chinese", "long_chinese_automatic", "long_english", "references_30", "lookalike_latin1",
        "empty", "emoji_long_word"])
@pytest.mark.parametrize("from_name", SENDERS[:3])
def test_prepared_composition_reads_back_as_the_reference(overrides, from_name):
    assert_prepared_reads_as_reference(make_outbound(**overrides), from_name)


_words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                 min_size=1, max_size=30)
_han = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=40)
_message_ids = st.builds("<{}@{}.example>".format, st.text("abcdef0123456789.-_", min_size=1, max_size=40),
                         st.sampled_from(["desk", "mail", "example"]))


@settings(max_examples=150, deadline=None, database=None)  # no example files in the checkout
@given(subject=st.lists(_words | _han | st.sampled_from(["Re:", "[#123]", "提现", "=?"]), max_size=25).map(" ".join),
       text=st.lists(_words | _han | st.sampled_from(["\n", "\r\n", " ", "  ", ".", "From "]),
                     max_size=80).map("".join),
       references=st.lists(_message_ids, max_size=25), in_reply_to=st.just("") | _message_ids,
       automatic=st.booleans(), language=st.sampled_from(["", "zh", "en"]), from_name=st.sampled_from(SENDERS))
def test_prepared_composition_reads_back_as_the_reference_on_generated_mail(
        subject, text, references, in_reply_to, automatic, language, from_name):
    outbound = make_outbound(subject=subject, text=text, references=references, in_reply_to=in_reply_to,
                             automatic=automatic, language=language)
    assert_prepared_reads_as_reference(outbound, from_name)


def test_prepared_composition_refuses_what_the_reference_refuses():
    for overrides in ({"message_id": " "}, {"recipient": "not an address"}, {"recipient": "a@b.example\r\nBcc: x@y"}):
        with pytest.raises(ValueError, match=r"message_id|not an email address"):
            template(DESK).render(make_outbound(**overrides))


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
