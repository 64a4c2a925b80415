"""How far each IMAP mailbox has been read: its UIDVALIDITY and the last UID taken, one
row per (account, mailbox), written only here, so `msgrouter imap` continues after a
restart where it stopped."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import col

from router.clock import utcnow
from router.storage.db import read_scope, session_scope, upsert_dialect_insert
from router.storage.models import ImapCursor


@dataclass(frozen=True, slots=True)
class Cursor:
    uidvalidity: int
    last_uid: int


def load(account: str, mailbox: str, engine: Engine | None = None) -> Cursor | None:
    with read_scope(engine) as session:
        row = session.execute(select(col(ImapCursor.uidvalidity), col(ImapCursor.last_uid)).where(
            col(ImapCursor.account) == account, col(ImapCursor.mailbox) == mailbox)).first()
    return Cursor(row.uidvalidity, row.last_uid) if row else None


def save(account: str, mailbox: str, cursor: Cursor, engine: Engine | None = None) -> None:
    with session_scope(engine) as session:
        statement = upsert_dialect_insert(session)(ImapCursor).values(
            account=account, mailbox=mailbox, uidvalidity=cursor.uidvalidity, last_uid=cursor.last_uid,
            updated_at=utcnow())
        session.execute(statement.on_conflict_do_update(
            index_elements=["account", "mailbox"],
            set_={"uidvalidity": statement.excluded.uidvalidity, "last_uid": statement.excluded.last_uid,
                  "updated_at": statement.excluded.updated_at}))
