"""`accept_alone`, the one-transaction-a-message intake that bench/intake.py times beside
group commit: a baseline only means something if it does the same work, so it stores
exactly what `accept` stores (redacted, pending) and knows a redelivery."""
from __future__ import annotations

import shutil
import uuid

from sqlalchemy import select

from channels.base import Inbound
from router.queue.intake import accept, accept_alone
from router.storage.db import get_engine, session_scope
from router.storage.models import Message

SECRET = "my password is Hunter2Secret!"


def _mail(text: str) -> Inbound:
    return Inbound(channel="email", external_id=f"<{uuid.uuid4().hex}@example.com>",
                   sender="wei@example.com", subject="Locked out", text=text)


def _stored(message_id: int) -> tuple[str, str, str, list[str]]:
    with session_scope() as session:
        row = session.get(Message, message_id)
        return row.status, row.direction, row.text, row.secret_kinds


def test_one_by_one_stores_what_group_commit_stores_and_knows_a_redelivery(db_url):
    alone, grouped = _mail(f"I cannot log in, {SECRET}"), _mail(f"I cannot log in, {SECRET}")
    first = accept_alone(alone)
    assert not first.duplicate
    assert _stored(first.message_id) == _stored(accept(grouped).message_id)
    status, direction, text, kinds = _stored(first.message_id)
    assert (status, direction) == ("pending", "in") and "Hunter2Secret" not in text and kinds

    again = accept_alone(alone, get_engine(db_url))  # a redelivery, on the engine given
    assert again.duplicate and again.message_id == first.message_id
    with session_scope() as session:
        assert len(session.execute(select(Message.id)).all()) == 2


def test_one_by_one_writes_to_the_database_it_is_given(db_url, sqlite_template, tmp_path):
    # bench/intake.py hands it the engine of a database of its own, not the configured one.
    other_path = tmp_path / "bench.db"
    shutil.copy(sqlite_template, other_path)
    other = get_engine(f"sqlite:///{other_path}")
    try:
        inbound = _mail(f"I cannot log in, {SECRET}")
        accepted = accept_alone(inbound, other)
        with session_scope(other) as session:
            row = session.get(Message, accepted.message_id)
            assert (row.external_id, row.status) == (inbound.external_id, "pending")
        with session_scope() as session:
            assert session.execute(select(Message.id)).all() == []
    finally:
        other.dispose()
