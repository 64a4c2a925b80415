"""Intake writes a group through one of two writers: on SQLite the driver's own connection
(`_store_sqlite`, the fast one), elsewhere the session (`_store`, PostgreSQL's). Both must
do the same: insert each new key once with its attachments, and name the row stored
before for a redelivery. Both run here on both databases where they can, so a mistake in
either shows on SQLite too, the database `make mutation` runs on."""
from __future__ import annotations

import shutil
import threading
import uuid

import pytest
from sqlalchemy import select

from channels.base import Attachment, Inbound
from router.queue import intake
from router.storage.db import _writer_queues, get_engine, session_scope, sqlite_write_turn
from router.storage.models import Attachment as AttachmentRow
from router.storage.models import Message
from support import wait_for

WRITERS = {"session": intake._store, "sqlite-driver": intake._store_sqlite}


def _inbound(sender: str, text: str, attachments: tuple[Attachment, ...] = ()) -> Inbound:
    return Inbound(channel="email", external_id=f"<{uuid.uuid4().hex}@example.com>", sender=sender,
                   subject="Deposit", text=text, attachments=list(attachments))


# SQLite's driver writer takes a group with attachments in a transaction of its own
# statements, and one without as a single multi-row INSERT: both shapes, on every writer.
@pytest.mark.parametrize("attached", [True, False], ids=["with-attachment", "without"])
@pytest.mark.parametrize("writer", WRITERS)
def test_each_writer_stores_new_keys_once_and_names_the_stored_row_of_a_redelivery(db_url, writer, attached):
    engine = get_engine()
    if writer == "sqlite-driver" and engine.dialect.name != "sqlite":
        pytest.skip("the driver writer is SQLite's")
    earlier = _inbound("wei@example.com", "First mail")
    stored_before = intake.accept(earlier).message_id
    receipt = Attachment(filename="receipt.txt", content_type="text/plain", data=b"tx 0xabc, 2 ETH", size=15)
    group = [intake._prepare(m) for m in (
        _inbound("pat@example.com", "My deposit is missing", (receipt,) if attached else ()),
        _inbound("lin@example.com", "Where is my withdrawal?"),
        earlier)]                                   # a redelivery of the stored mail
    first = {p.key: p for p in group}

    new, stored = WRITERS[writer](engine, first)

    with session_scope() as session:
        rows = {(m.channel, m.sender, m.external_id): m for m in session.execute(select(Message)).scalars()}
        attachments = list(session.execute(select(AttachmentRow)).scalars())
    assert set(rows) == set(first)                  # each key once
    assert new == {p.key: rows[p.key].id for p in group[:2]}
    assert stored == {group[2].key: stored_before}
    assert [(a.message_id, a.filename, a.data) for a in attachments] == \
        ([(new[group[0].key], "receipt.txt", b"tx 0xabc, 2 ETH")] if attached else [])
    assert rows[group[0].key].id < rows[group[1].key].id    # ids in the group's order: arrival order
    pat = rows[group[0].key]
    assert (pat.status, pat.direction, pat.text, pat.subject) == ("pending", "in", "My deposit is missing", "Deposit")


@pytest.mark.parametrize("writer", WRITERS)
def test_each_writer_writes_to_the_database_it_is_given(db_url, writer, sqlite_template, tmp_path):
    other = tmp_path / "other.db"
    shutil.copy(sqlite_template, other)
    engine = get_engine(f"sqlite:///{other}")
    prepared = intake._prepare(_inbound("pat@example.com", "My deposit is missing"))
    try:
        new, _ = WRITERS[writer](engine, {prepared.key: prepared})
        with engine.connect() as conn:
            there = conn.execute(select(Message.id).where(Message.sender == "pat@example.com")).scalars().all()
    finally:
        engine.dispose()
    assert there == [new[prepared.key]]
    with session_scope() as session:             # the default database, untouched
        assert session.execute(select(Message.id)).first() is None


def test_on_sqlite_intakes_group_goes_ahead_of_a_writer_already_waiting(db_url):
    """SQLite has one write lock, queued in the process: the senders of a group wait for
    their 250, so intake's turn comes before a drain's or a delivery's already in line."""
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's writer queue")
    queue = _writer_queues[engine]
    order: list[str] = []
    release = threading.Event()

    def holder() -> None:
        with sqlite_write_turn(engine):
            release.wait(10)

    def drain() -> None:
        with sqlite_write_turn(engine):
            order.append("drain")

    def intake_group() -> None:
        prepared = intake._prepare(_inbound("pat@example.com", "My deposit is missing"))
        intake._write_group(engine, [prepared])  # which picks the driver writer on SQLite
        order.append("intake")

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    wait_for(lambda: queue._holder is not None, what="the holder's turn")
    for target, waiting in ((drain, 1), (intake_group, 2)):
        threads.append(threading.Thread(target=target))
        threads[-1].start()
        wait_for(lambda n=waiting: len(queue._waiting) == n, what=f"{waiting} writers in line")
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["intake", "drain"]
