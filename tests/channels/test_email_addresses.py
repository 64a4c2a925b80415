"""Senders' addresses as a real SMTP client sends them through our server, read back from
the stored message: internationalised addresses (SMTPUTF8) whole, a display name that
cannot change the address, an address written inside quotes without them."""
from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import select

from router.storage.db import session_scope
from router.storage.models import Message


def _send(port: int, from_header: str, *, envelope_from: str, subject: str = "Help",
          message_id: str = "<addr-1@example.com>") -> Message:
    raw = (f"From: {from_header}\r\nTo: support@pinecone.example\r\nSubject: {subject}\r\n"
           f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n我的提现还没有到账。\r\n").encode()
    options = [] if envelope_from.isascii() and raw.isascii() else ["SMTPUTF8"]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        refused = client.sendmail(envelope_from, ["support@pinecone.example"], raw, mail_options=options)
    assert refused == {}
    with session_scope() as session:
        return session.execute(select(Message).where(Message.external_id == message_id)).scalars().one()


@pytest.mark.parametrize(("from_header", "address", "name"), [
    # 公 is e5 85 ac in UTF-8: its 0x85 read as one char per byte is a line break.
    ("公司客服 <公司@例子.公司>", "公司@例子.公司", "公司客服"),
    ("x公@公司.example", "x公@公司.example", ""),
    ("Zoë Ünal <zoë@bücher.example>", "zoë@bücher.example", "Zoë Ünal"),
])
def test_an_internationalised_address_is_stored_whole(smtp_port, broker, from_header, address, name):
    row = _send(smtp_port, from_header, envelope_from=address)
    assert (row.sender, row.sender_name) == (address, name)


@pytest.mark.parametrize("from_header", [
    "=?utf-8?q?Alice:_bob@evil.example;?= <alice@good.example>",
    "=?utf-8?q?Team:evil@evil.example?= <alice@good.example>",
    "=?utf-8?b?QWxpY2U6IGJvYkBldmlsLmV4YW1wbGU7?= <alice@good.example>",  # "Alice: bob@evil.example;"
    "=?utf-8?q?Evil_<bob@evil.example>?= <alice@good.example>",
])
def test_an_encoded_display_name_cannot_change_the_address(smtp_port, broker, from_header):
    row = _send(smtp_port, from_header, envelope_from="alice@good.example")
    assert row.sender == "alice@good.example"
    assert "evil.example" in row.sender_name  # the name is kept, as text


@pytest.mark.parametrize("from_header", ['<"kim@example.com">', '"Kim" <"kim@example.com">'])
def test_an_address_written_inside_quotes_is_stored_without_them(smtp_port, broker, from_header):
    row = _send(smtp_port, from_header, envelope_from="kim@example.com")
    assert row.sender == "kim@example.com"
    assert any("quoted" in note for note in row.parse_notes)


def test_a_subject_ending_in_a_byte_that_latin1_calls_whitespace_keeps_its_last_character(smtp_port, broker):
    # 丅 is e4 b8 85: trimming the one-char-per-byte view took its last byte.
    row = _send(smtp_port, "wei@example.cn", envelope_from="wei@example.cn", subject="提现丅")
    assert row.subject == "提现丅"
