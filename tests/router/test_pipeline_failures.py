"""Pipeline failure handling: a message whose step fails is set aside as `failed` with the
step and the error while the rest of its batch goes on; lock contention puts a message
back to pending for another try, up to MAX_ATTEMPTS; `msgrouter replay ID` completes a
failed message once the cause is gone."""
from __future__ import annotations

from contextlib import contextmanager
from email.utils import make_msgid

import psycopg
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from channels.base import Inbound
from conftest import reset_caches
from router.cli import app as cli_app
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.queue.pipeline import MAX_ATTEMPTS, process_batch
from router.storage.db import get_engine, session_scope
from router.storage.models import Conversation, Event, Message

TEXTS = ("My withdrawal of 200 USDT has not arrived after two days.",
         "你好，我昨天提现的 500 USDT 到现在还没有到账，请帮忙查一下。",
         "How do I change the language of the app to French?")


def accept_mail(n: int, body: str) -> int:
    inbound = Inbound(channel="email", external_id=make_msgid(domain="example.com"),
                      sender=f"customer{n}@example.com", text=body, subject=f"Question {n}")
    return accept(inbound).message_id


def corrupt(message_id: int) -> None:
    """Store valid JSON of the wrong shape, as a bad migration or a hand edit would:
    secret_kinds holds a number, not a list, and the classify step cannot read it."""
    with get_engine().begin() as conn:
        conn.execute(text(f"UPDATE message SET secret_kinds = '7' WHERE id = {int(message_id)}"))


def repair(message_id: int) -> None:
    with get_engine().begin() as conn:
        conn.execute(text(f"UPDATE message SET secret_kinds = '[]' WHERE id = {int(message_id)}"))


def message(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def failed_events(message_id: int) -> list[Event]:
    with session_scope() as session:
        return list(session.execute(select(Event).where(
            Event.kind == "failed", Event.message_id == message_id)).scalars())


def acknowledgements(conversation_id: int) -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(
            Message.conversation_id == conversation_id, Message.direction == "out",
            Message.automatic.is_(True))).scalar_one()


def replay(message_id: int):
    return CliRunner().invoke(cli_app, ["replay", str(message_id)])


def assert_completed(message_id: int) -> None:
    """Done, in an open conversation of a pool, labelled, and acknowledged."""
    row = message(message_id)
    assert row.status == "done" and row.error is None and row.failed_step is None
    assert row.category and row.urgency and row.language
    with session_scope() as session:
        conversation = session.get(Conversation, row.conversation_id)
    assert conversation is not None and conversation.pool_id is not None
    assert acknowledgements(conversation.id) == 1


def test_a_poison_message_fails_alone_and_the_batch_goes_on(db_url, broker):
    ids = [accept_mail(n, body) for n, body in enumerate(TEXTS)]
    poison = ids[1]
    corrupt(poison)

    assert drain_inbound() == len(ids)  # one batch holds them all

    failed = message(poison)
    assert failed.status == "failed" and failed.failed_step == "classify"
    assert failed.error.startswith("TypeError")
    assert failed.conversation_id is None, "what its earlier steps wrote was rolled back"
    [event] = failed_events(poison)
    assert event.data["step"] == "classify" and event.data["error"]
    for good in (ids[0], ids[2]):
        assert_completed(good)
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Conversation)).scalar_one() == 2


def test_replay_completes_a_failed_message_once_the_cause_is_gone(db_url, broker):
    message_id = accept_mail(1, TEXTS[0])
    corrupt(message_id)
    drain_inbound()
    assert message(message_id).status == "failed"

    again = replay(message_id)
    assert "failed again" in again.output
    assert message(message_id).status == "failed" and message(message_id).failed_step == "classify"

    repair(message_id)
    result = replay(message_id)
    assert result.exit_code == 0, result.output
    assert_completed(message_id)
    assert replay(message_id).exit_code == 1, "only a failed message is replayed"


# Transient errors are pinned on PostgreSQL only. On SQLite every write transaction
# begins with BEGIN IMMEDIATE, so the pipeline holds the write lock before its first
# step and no statement inside a step can meet a busy database; a busy database shows
# at BEGIN (after the engine's fixed 30 s busy timeout), outside any message's savepoint.
@contextmanager
def table_locked(url: str, table: str):
    """Another connection holds an exclusive lock on `table`, as a long migration would.
    The tests lock `customer`, which the thread step reads first and the failure record
    (an event row, whose foreign keys name conversation and message) does not touch.
    Locking `conversation` makes the last attempt's `failed` event wait too, and that
    error escapes process_batch and rolls back the whole batch: a known bug."""
    with psycopg.connect(url) as holder:
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            holder.rollback()


@pytest.fixture
def impatient_worker(db_url, monkeypatch):
    """The worker's sessions give up on a lock after 300 ms (libpq options in the URL)."""
    monkeypatch.setenv("MSGROUTER_DATABASE_URL", db_url + "?options=-c%20lock_timeout%3D300")
    reset_caches()
    yield
    reset_caches()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_lock_timeout_puts_the_message_back_to_pending_and_a_retry_completes_it(
        db_url, impatient_worker, broker):
    message_id = accept_mail(1, TEXTS[0])
    with table_locked(db_url, "customer"):
        result = process_batch([message_id])

    assert result.failed == 1
    waiting = message(message_id)
    assert waiting.status == "pending" and waiting.failed_step == "thread"
    assert waiting.error.startswith("OperationalError") and "lock timeout" in waiting.error
    assert failed_events(message_id) == []

    assert drain_inbound() == 1
    assert_completed(message_id)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_lock_held_through_every_attempt_fails_the_message_and_replay_completes_it(
        db_url, impatient_worker, broker):
    message_id = accept_mail(1, TEXTS[0])
    with table_locked(db_url, "customer"):
        drain_inbound()
        parked = message(message_id)

    assert parked.status == "failed" and parked.attempts == MAX_ATTEMPTS
    assert parked.error.startswith("OperationalError") and parked.failed_step == "thread"
    assert len(failed_events(message_id)) == 1, "only the last attempt is a failure"

    result = replay(message_id)
    assert result.exit_code == 0, result.output
    assert_completed(message_id)
