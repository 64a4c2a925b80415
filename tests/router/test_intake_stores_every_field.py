"""Intake stores every field of a message as it came, cut to its column's length or
redacted, never dropped: the threading hints (all the references), the signs of machine
mail and the delivery report the automatic step reads, the recipient. A file that cannot
be read for secrets is dropped with a note naming the desk's policy, and an id is stored
as a hash only when it holds a secret, whose kind the message then records."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mnemonic import Mnemonic
from sqlalchemy import select

from channels.base import Attachment, Inbound
from router.queue.intake import Accepted, _prepare, _write_group, accept
from router.storage.db import get_engine, session_scope
from router.storage.models import Attachment as AttachmentRow
from router.storage.models import Message

PRIVATE_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def _id() -> str:
    return f"<{uuid.uuid4().hex}@example.com>"


def _stored(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def test_every_field_is_stored_and_the_machine_reason_cut_to_200(db_url):
    refs = [_id(), _id(), _id()]
    report = {"failed": ["gone@example.com"], "original_message_id": refs[0]}
    received = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    inbound = Inbound(channel="email", external_id=_id(), sender="mx@example.net", text="Not delivered.",
                      subject="Undelivered Mail", sender_name="Mail Delivery System",
                      recipient="support@pinecone.example", received_at=received,
                      in_reply_to=refs[-1], references=refs, auto_submitted=True,
                      auto_reason="Auto-Submitted: " + "x" * 300, delivery_report=report)
    row = _stored(accept(inbound).message_id)
    assert (row.direction, row.channel, row.status) == ("in", "email", "pending")
    assert (row.external_id, row.sender, row.recipient) == (inbound.external_id, "mx@example.net",
                                                            "support@pinecone.example")
    assert (row.subject, row.sender_name, row.text) == ("Undelivered Mail", "Mail Delivery System", "Not delivered.")
    assert (row.in_reply_to, row.references) == (refs[-1], refs)  # every reference, in order
    assert row.auto_submitted is True
    assert row.auto_reason == ("Auto-Submitted: " + "x" * 300)[:200]
    assert row.delivery_report == report
    assert row.received_at.replace(tzinfo=UTC) == received
    assert row.secret_kinds == []
    assert (row.attempts, row.automatic) == (0, False)  # no try of the pipeline yet; a customer's, not ours


def test_fields_left_empty_are_stored_empty(db_url):
    row = _stored(accept(Inbound(channel="chat", external_id=_id(), sender="visitor-1", text="")).message_id)
    assert (row.text, row.subject, row.sender_name) == ("", "", "")


def test_an_id_is_cut_to_the_998_characters_of_a_mail_line(db_url):
    long_id = "<" + "a" * 1200 + "@example.com>"
    row = _stored(accept(Inbound(channel="email", external_id=long_id, sender="ann@example.com",
                                 text="Hello")).message_id)
    assert row.external_id == long_id[:998]


def test_an_unreadable_file_is_dropped_with_a_note_naming_the_desk_policy(db_url):
    """The default desk keeps no file it cannot read for secrets (attachments.unreadable)."""
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    inbound = Inbound(channel="email", external_id=_id(), sender="ann@example.com", text="See the screenshot",
                      attachments=[Attachment("screenshot.png", "image/png", png, len(png))],
                      parse_notes=["the Date header 'yesterday' could not be read; the arrival time is used"])
    message_id = accept(inbound).message_id
    row = _stored(message_id)
    assert row.parse_notes == [
        "the Date header 'yesterday' could not be read; the arrival time is used",
        (f"attachment 'screenshot.png' (image/png, {len(png)} bytes) not kept: it cannot be read for "
         "secrets (desk policy attachments.unreadable = 'drop')")]
    with session_scope() as session:
        [kept] = session.execute(select(AttachmentRow).where(AttachmentRow.message_id == message_id)).scalars()
    assert (kept.filename, kept.data, kept.size) == ("screenshot.png", None, len(png))


def test_a_note_names_a_file_by_its_stored_name_when_the_name_held_a_secret(db_url):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    name = f"key-{PRIVATE_KEY}.png"
    inbound = Inbound(channel="email", external_id=_id(), sender="ann@example.com", text="Attached",
                      attachments=[Attachment(name, "image/png", png, len(png))],
                      parse_notes=[f"attachment {name!r}: its declared type was guessed from the name"])
    row = _stored(accept(inbound).message_id)
    assert PRIVATE_KEY not in " ".join(row.parse_notes)
    assert all("[REDACTED:private_key]" in note for note in row.parse_notes), row.parse_notes
    assert "private_key" in row.secret_kinds


def test_an_id_holding_a_secret_is_stored_as_a_hash_and_its_kind_recorded(db_url):
    phrase = Mnemonic("english").generate(strength=128).split()
    row = _stored(accept(Inbound(channel="email", external_id=f"<{'-'.join(phrase)}@wallet.example>",
                                 sender="ann@example.com", text="Hello")).message_id)
    assert row.external_id.startswith("h:") and phrase[0] not in row.external_id
    assert row.secret_kinds == ["mnemonic"]


def test_an_id_hashed_only_for_naming_a_secret_reports_no_kind(db_url):
    """'password-reset' in a Message-ID names a password and holds none: the id is hashed
    (it costs nothing) but the message holds no secret."""
    answered = "<password-reset-4471@bank.example>"
    row = _stored(accept(Inbound(channel="email", external_id=_id(), sender="ann@example.com", text="Thanks",
                                 in_reply_to=answered, references=[answered])).message_id)
    assert row.in_reply_to.startswith("h:") and row.references == [row.in_reply_to]
    assert row.secret_kinds == []


def test_a_group_names_each_first_new_and_every_copy_a_duplicate_of_its_row(db_url):
    engine = get_engine()
    earlier = Inbound(channel="email", external_id=_id(), sender="wei@example.com", text="First mail")
    stored_before = accept(earlier).message_id
    fresh = Inbound(channel="email", external_id=_id(), sender="pat@example.com", text="My deposit is missing")
    group = [_prepare(m) for m in (fresh, fresh, earlier)]  # a copy in the group, a redelivery
    accepted = _write_group(engine, group)
    new_id = accepted[0].message_id
    assert accepted == [Accepted(new_id, duplicate=False), Accepted(new_id, duplicate=True),
                        Accepted(stored_before, duplicate=True)]
    assert new_id != stored_before
