"""Group commit at intake, through real SMTP clients (threads) against our SMTP server on
SQLite and PostgreSQL: every mail accepted is stored exactly once and is durable before
its sender hears 250; duplicates committed in one group become one row; a row the
database refuses fails only its own sender (451), not the rest of its group.

To make a group form for certain, the test holds the message table's write lock from a
connection of its own while the clients send (a real second writer): the first mail
waits for the lock and the others gather behind it, then commit together.
"""
from __future__ import annotations

import smtplib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import psycopg
import pytest
from sqlalchemy.engine import make_url

from router.queue.drain import drain_inbound
from support import make_email

PAUSE = 1.0  # how long the lock is held: time for every client's DATA to reach the server


def _send(port: int, msg: EmailMessage) -> tuple[int, str]:
    """One SMTP session for one mail: the server's reply to the end of DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.ehlo()
        smtp.mail(msg["From"].addresses[0].addr_spec)
        smtp.rcpt(msg["To"].addresses[0].addr_spec)
        try:
            code, text = smtp.data(msg.as_bytes())
        except smtplib.SMTPDataError as exc:
            return exc.smtp_code, exc.smtp_error.decode()
        return code, text.decode()


@contextmanager
def _raw(db_url: str) -> Iterator:
    """A connection of the test's own, outside msgrouter's engine and pool."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None, timeout=30)
    else:
        conn = psycopg.connect(db_url, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def _rows_with(db_url: str, external_id: str) -> list[tuple[int, str]]:
    with _raw(db_url) as conn:
        return list(conn.execute("SELECT id, status FROM message WHERE external_id = "
                                 + ("?" if isinstance(conn, sqlite3.Connection) else "%s"), (external_id,)))


@contextmanager
def _message_table_locked(db_url: str | None) -> Iterator[None]:
    """Another writer holds the lock inserts need until the block ends (no-op for None)."""
    if db_url is None:
        yield
        return
    with _raw(db_url) as conn:
        if isinstance(conn, sqlite3.Connection):
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute("BEGIN")
            conn.execute("LOCK TABLE message IN SHARE ROW EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


def _send_all(port: int, mails: list[EmailMessage], check=None,
              locked: str | None = None) -> list[tuple[int, str]]:
    """Every mail from its own client thread, all at once; `check(mail)` runs in the client
    as soon as its reply came, before anything else can happen to the database. With
    `locked` (the database URL), the mails gather behind another writer for PAUSE seconds."""
    replies: list[tuple[int, str] | None] = [None] * len(mails)
    checked: list[object] = [None] * len(mails)
    start = threading.Barrier(len(mails))

    def client(i: int) -> None:
        start.wait()
        replies[i] = _send(port, mails[i])
        if check is not None and replies[i][0] == 250:
            checked[i] = check(mails[i])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(mails))]
    with _message_table_locked(locked):
        for t in threads:
            t.start()
        if locked:
            time.sleep(PAUSE)
    for t in threads:
        t.join(120)
    if check is not None:
        assert all(c for c, r in zip(checked, replies, strict=True) if r and r[0] == 250), \
            [(m["Message-ID"], c) for m, c in zip(mails, checked, strict=True)]
    return replies  # type: ignore[return-value]


def test_every_mail_is_stored_once_and_before_its_250(db_url, smtp_port, broker):
    """32 clients at once, each mail also redelivered by a second client, with a drain
    writing beside them: one row per Message-ID, each there when its 250 arrived."""
    mails = [make_email(sender=f"c{i}@example.com", subject=f"mail {i}") for i in range(32)]
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            drain_inbound()

    drainer = threading.Thread(target=drain)
    drainer.start()
    try:
        replies = _send_all(smtp_port, mails + mails,
                            check=lambda m: len(_rows_with(db_url, m["Message-ID"])) == 1)
    finally:
        stop.set()
        drainer.join(60)
    assert [code for code, _ in replies] == [250] * 64
    for mail in mails:
        assert len(_rows_with(db_url, mail["Message-ID"])) == 1, mail["Message-ID"]


def test_a_group_commits_each_mail_before_its_250(db_url, smtp_port, broker):
    mails = [make_email(sender=f"g{i}@example.com", subject=f"grouped {i}") for i in range(12)]
    replies = _send_all(smtp_port, mails, check=lambda m: _rows_with(db_url, m["Message-ID"]), locked=db_url)
    assert [code for code, _ in replies] == [250] * 12
    assert all(len(_rows_with(db_url, m["Message-ID"])) == 1 for m in mails)


def test_duplicates_in_one_group_are_one_row(db_url, smtp_port, broker):
    """The same mail from six clients at once, among others: one row, and all six hear it
    accepted in the same words (whether we had it already, and its row id, are ours)."""
    mail = make_email(sender="dup@example.com", subject="sent six times")
    others = [make_email(sender=f"o{i}@example.com", subject=f"other {i}") for i in range(4)]
    replies = _send_all(smtp_port, [mail] * 6 + others, locked=db_url)
    assert len(_rows_with(db_url, mail["Message-ID"])) == 1
    assert replies[:6] == [(250, "2.0.0 Message accepted")] * 6
    assert all(len(_rows_with(db_url, m["Message-ID"])) == 1 for m in others)
    assert all(reply == (250, "2.0.0 Message accepted") for reply in replies[6:])


@pytest.fixture
def poison_refused(db_url):
    """The database refuses any message whose subject says "poison" (a real trigger)."""
    with _raw(db_url) as conn:
        if isinstance(conn, sqlite3.Connection):
            conn.execute("CREATE TRIGGER refuse_poison BEFORE INSERT ON message "
                         "WHEN NEW.subject LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poison row'); END")
        else:
            conn.execute("CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                         "IF NEW.subject LIKE '%poison%' THEN RAISE EXCEPTION 'poison row'; END IF; "
                         "RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.execute("CREATE TRIGGER refuse_poison BEFORE INSERT ON message "
                         "FOR EACH ROW EXECUTE FUNCTION refuse_poison()")
    yield
    with _raw(db_url) as conn:
        conn.execute("DROP TRIGGER refuse_poison" + ("" if isinstance(conn, sqlite3.Connection) else " ON message"))


def test_a_poison_row_fails_only_its_sender(db_url, smtp_port, broker, poison_refused):
    good = [make_email(sender=f"p{i}@example.com", subject=f"fine {i}") for i in range(10)]
    poison = make_email(sender="bad@example.com", subject="poison pill")
    replies = _send_all(smtp_port, [*good[:5], poison, *good[5:]],
                        check=lambda m: _rows_with(db_url, m["Message-ID"]), locked=db_url)
    codes = [code for code, _ in replies]
    assert codes == [250] * 5 + [451] + [250] * 5, replies
    assert _rows_with(db_url, poison["Message-ID"]) == []
    assert all(len(_rows_with(db_url, m["Message-ID"])) == 1 for m in good)
