"""Characters no database stores (NUL, lone surrogates) are cleaned at the edge: a mail
carrying them is stored and answered 250, on both databases, not refused 451 for ever."""
from __future__ import annotations

import smtplib

from sqlalchemy import select

from channels.base import Attachment, Inbound
from channels.storable import storable
from router.storage.db import session_scope
from router.storage.models import Attachment as AttachmentRow
from router.storage.models import Message

# NUL in the subject, the body, an attachment's Content-Type and its filename.
POISON = (b"From: poison@example.com\r\nTo: support@pinecone.example\r\nSubject: fee\x00 question\r\n"
          b"Message-ID: <poison.1@example.com>\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
          b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhow much\x00 is the fee?\r\n"
          b"--XX\r\nContent-Type: application/pdf\x00; name=\"rec\x00eipt.pdf\"\r\n"
          b"Content-Disposition: attachment; filename=\"rec\x00eipt.pdf\"\r\n\r\n%PDF-1.4\r\n"
          b"--XX--\r\n")


def test_nul_in_subject_body_content_type_and_filename_is_stored_not_451(smtp_port, broker):
    for _ in range(2):  # and the redelivery is the same message, not a second one
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as client:
            assert client.sendmail("poison@example.com", ["support@pinecone.example"], POISON) == {}
    with session_scope() as session:
        row = session.execute(select(Message)).scalars().one()
        attachment = session.execute(select(AttachmentRow)).scalars().one()
    assert row.subject == "fee question" and "how much is the fee?" in row.text
    assert "\x00" not in attachment.content_type and attachment.content_type.startswith("application/pdf")
    assert attachment.filename == "receipt.pdf"


def test_every_text_field_of_an_inbound_is_cleaned():
    bad = "a\x00b\udcff"
    inbound = Inbound(channel="email", external_id=bad, sender=bad, text=bad, subject=bad, sender_name=bad,
                      recipient=bad, in_reply_to=bad, references=[bad], parse_notes=[bad],
                      attachments=[Attachment(filename=bad, content_type=bad, data=b"\x00raw", size=4)])
    clean = storable(inbound)
    for name in ("external_id", "sender", "text", "subject", "sender_name", "recipient", "in_reply_to"):
        assert getattr(clean, name) == "ab\ufffd", name
    assert clean.references == clean.parse_notes == ["ab\ufffd"]
    assert (clean.attachments[0].filename, clean.attachments[0].content_type) == ("ab\ufffd", "ab\ufffd")
    assert clean.attachments[0].data == b"\x00raw", "bytes are stored as bytes: nothing to clean"
    assert inbound.text == bad, "the original is left alone"
