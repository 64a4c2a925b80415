"""The MIME parser never raises, on any bytes, and whatever it returns is stored: intake
takes it into PostgreSQL and SQLite without error (no NUL, no lone surrogate reaches an
insert), once, however often it is delivered."""
from __future__ import annotations

import dataclasses

from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from channels.base import Inbound
from channels.email.mime import parse
from fuzz.conftest import FUZZ
from fuzz.mime_strategies import raw_email
from router.queue.intake import accept
from router.storage.db import read_scope
from router.storage.models import Message

NUL_CONTENT_TYPE = b"Content-Type: text/plain\x00; charset=utf-8\r\nSubject: hi\r\n\r\nhello"


def _parse(raw: bytes) -> Inbound:
    inbound = parse(raw, envelope_from="wei@example.com", envelope_to="support@pinecone.example")
    assert isinstance(inbound, Inbound) and inbound.external_id and inbound.channel == "email"
    for f in dataclasses.fields(inbound):  # the types intake relies on, whatever the input
        value = getattr(inbound, f.name)
        assert value is None or isinstance(value, str | bool | list) or f.name == "received_at", f.name
    return inbound


@FUZZ
@given(st.binary(max_size=2000))
@example(b"")
@example(b"\x00" * 10)
@example(NUL_CONTENT_TYPE)
def test_any_bytes_parse_without_raising(raw):
    _parse(raw)


@FUZZ
@given(raw=raw_email())
@example(raw=NUL_CONTENT_TYPE)  # issue 16, finding 6: this was 451 for ever on PostgreSQL
def test_any_mime_structure_is_stored_once(db_url, broker, raw):
    inbound = _parse(raw)
    first = accept(inbound)
    again = accept(_parse(raw))  # the sender's MTA delivering it a second time
    # (The first may itself be a duplicate: examples repeat, and the database is the test's.)
    assert again.message_id == first.message_id and again.duplicate
    with read_scope() as session:
        row = session.get(Message, first.message_id)
        assert row is not None and row.status == "pending"
        assert session.execute(select(func.count()).select_from(Message).where(
            Message.channel == "email", Message.external_id == row.external_id,
            Message.sender == row.sender)).scalar_one() == 1
