"""Intake: the edge where a parsed message becomes durable.

accept = clean what no database stores (`channels.storable`), redact secrets, insert the
message as pending (a redelivery is a no-op thanks to UNIQUE(channel, sender, external_id):
the same id from another sender is another message), commit, then ring the doorbell. Concurrent callers are
committed together, one transaction per group (`router.queue.group_commit`); a channel tells
its sender "accepted" only after `accept` returns, that is after its group committed.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, or_, select, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from channels.base import Inbound
from channels.storable import storable
from config.desk import get_desk
from router.clock import utcnow
from router.logs import log_extra
from router.queue.doorbell import get_doorbell
from router.queue.group_commit import GroupCommitter
from router.secrets.redact import redact
from router.secrets.redact_attachments import keep_attachment
from router.secrets.redact_notes import redact_notes
from router.secrets.redact_tokens import hidden_kinds, safe_id
from router.storage import bulk
from router.storage.db import (
    get_engine,
    read_scope,
    session_scope,
    sqlite_driver_transaction,
    sqlite_write_turn,
    upsert_dialect_insert,
)
from router.storage.models import Attachment, Message

log = logging.getLogger(__name__)
MESSAGES, ATTACHMENTS = Message.__table__, Attachment.__table__  # type: ignore[attr-defined]
# A message's identity: its channel id is only unique per sender, since anybody can write
# any Message-ID (uq_message_channel_sender_external_id).
KEY = ("channel", "sender", "external_id")


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: int
    duplicate: bool  # the same (channel, sender, external_id) was accepted before


def _redact_fields(inbound: Inbound) -> tuple[dict[str, str], list[str]]:
    kinds: list[str] = []
    out: dict[str, str] = {}
    for name in ("text", "subject", "sender_name"):
        result = redact(getattr(inbound, name) or "")
        out[name] = result.text
        kinds.extend(k for k in result.kinds if k not in kinds)
    return out, kinds


def _merge(kinds: list[str], found) -> None:
    kinds.extend(k for k in found if k not in kinds)


def _safe_ids(inbound: Inbound, kinds: list[str]) -> tuple[str, str, list[str]]:
    """The message's own id and the ids it answers (external_id, in_reply_to, references),
    each through `safe_id`: an id that holds a secret is stored (and so echoed in our
    replies' References) only as its hash, and the same hash on both sides keeps a reply
    to it threaded."""
    ids = [inbound.external_id[:998], inbound.in_reply_to, *inbound.references]
    safe = [safe_id(value) for value in ids]
    # An id hashed only because it names a secret ("password-reset") reports no kind.
    _merge(kinds, [k for value, hashed in zip(ids, safe, strict=True) if value != hashed
                   for k in hidden_kinds(value, cues=False)])
    return safe[0], safe[1], safe[2:]


@dataclass
class _Prepared:
    """One redacted message ready to insert, with its attachments' rows."""

    values: dict[str, Any]
    kinds: list[str]
    attachments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.values["channel"], self.values["sender"], self.values["external_id"]


def _prepare(inbound: Inbound) -> _Prepared:
    inbound = storable(inbound)
    fields, kinds = _redact_fields(inbound)
    policy = get_desk().attachments.unreadable
    attachments, notes, filenames = [], list(inbound.parse_notes), {}
    for att in inbound.attachments:
        kept = keep_attachment(att, policy)
        _merge(kinds, kept.kinds)
        attachments.append(kept.row)
        notes.extend(kept.notes)
        filenames[att.filename] = kept.row["filename"]
    external_id, in_reply_to, references = _safe_ids(inbound, kinds)
    values = {
        "direction": "in", "channel": inbound.channel, "external_id": external_id,
        "status": "pending", "sender": inbound.sender, "recipient": inbound.recipient,
        "sender_name": fields["sender_name"], "subject": fields["subject"], "text": fields["text"],
        "secret_kinds": kinds, "auto_submitted": inbound.auto_submitted,
        "auto_reason": inbound.auto_reason[:200], "delivery_report": inbound.delivery_report,
        "in_reply_to": in_reply_to, "references": references,
        "parse_notes": redact_notes(notes, filenames, kinds), "received_at": inbound.received_at,
        "created_at": utcnow(), "attempts": 0, "automatic": False,
    }
    return _Prepared(values, kinds, attachments)


def _write_group(engine: Engine, group: Sequence[_Prepared]) -> list[Accepted]:
    """Insert the group in one transaction: the first of each (channel, sender, external_id)
    is a candidate, later ones in the group are its duplicates; a key already stored is a
    duplicate of the stored row."""
    first: dict[tuple[str, str, str], _Prepared] = {}
    for prepared in group:
        first.setdefault(prepared.key, prepared)
    store = _store_sqlite if engine.dialect.name == "sqlite" else _store
    new, stored = store(engine, first)
    return [Accepted(new[p.key], duplicate=False) if first[p.key] is p and p.key in new
            else Accepted(new.get(p.key) or stored[p.key], duplicate=True) for p in group]


Ids = dict[tuple[str, str, str], int]  # (channel, sender, external_id) -> message id


def _store(engine: Engine, first: dict[tuple[str, str, str], _Prepared]) -> tuple[Ids, Ids]:
    """The rows of `first` not stored yet, and their attachments: the ids of the new ones,
    and those of the keys stored before. PostgreSQL's writer (SQLite's is `_store_sqlite`,
    which also takes intake's place first in the writer queue)."""
    with session_scope(engine) as session:
        stmt = upsert_dialect_insert(session)(MESSAGES).on_conflict_do_nothing(
            index_elements=list(KEY)).returning(MESSAGES.c.id, *(MESSAGES.c[name] for name in KEY))
        new = {tuple(key): mid for mid, *key in session.execute(stmt, [p.values for p in first.values()])}
        missing = [key for key in first if key not in new]
        stored = {tuple(key): mid for mid, *key in session.execute(
            select(MESSAGES.c.id, *(MESSAGES.c[name] for name in KEY)).where(
                tuple_(*(MESSAGES.c[name] for name in KEY)).in_(missing)))} if missing else {}
        attachments = [{**att, "message_id": new[key]} for key, p in first.items() if key in new
                       for att in p.attachments]
        if attachments:
            session.execute(insert(ATTACHMENTS), attachments)
    return new, stored


def _store_sqlite(engine: Engine, first: dict[tuple[str, str, str], _Prepared]) -> tuple[Ids, Ids]:
    """`_store` on the driver's connection: BEGIN IMMEDIATE in intake's turn among the
    process's writers, one insert a row (SQLite's driver returns no rows from executemany),
    COMMIT. Through the session the same statements took 670 µs of CPU a mail under load
    (py-spy), a fifth of SMTP intake's; SQLAlchemy compiles them once here. A group with no
    attachments goes as one statement (`_store_sqlite_at_once`)."""
    names = list(next(iter(first.values())).values)
    if not any(p.attachments for p in first.values()) and len(first) * len(names) <= SQLITE_MAX_VARIABLES:
        return _store_sqlite_at_once(engine, first, names)
    one = bulk.compiled_once(engine.dialect, ("intake", *names), lambda: sqlite_insert(MESSAGES)
                             .on_conflict_do_nothing(index_elements=list(KEY)).returning(MESSAGES.c.id), names)
    connection = engine.raw_connection()
    try:
        cursor = connection.driver_connection.cursor()  # type: ignore[union-attr]
        with sqlite_driver_transaction(engine, cursor, intake=True):
            new, stored = _insert_rows(engine, cursor, one, first)
    finally:
        connection.close()
    return new, stored


SQLITE_MAX_VARIABLES = 32766  # SQLite's limit on a statement's parameters (since 3.32)
_STORED = "SELECT id FROM message WHERE channel = ? AND sender = ? AND external_id = ?"


def _store_sqlite_at_once(engine: Engine, first: dict[tuple[str, str, str], _Prepared],
                          names: list[str]) -> tuple[Ids, Ids]:
    """The group as one INSERT of all its rows, RETURNING the new ones' ids and keys, on the
    driver's connection, which is in autocommit: the statement is the group's transaction,
    all rows or none, committed when it returns. Under load each statement run in the write
    lock's turn waits for the interpreter lock as it returns (BEGIN IMMEDIATE alone took
    0.6 ms at the median in bench/throughput.py), and embedded that lock is the desk's
    ceiling: one statement where BEGIN, an insert a row and COMMIT were."""
    one = bulk.compiled_once(engine.dialect, ("intake at once", *names), lambda: sqlite_insert(MESSAGES)
                             .on_conflict_do_nothing(index_elements=list(KEY))
                             .returning(MESSAGES.c.id, *(MESSAGES.c[name] for name in KEY)), names)
    head, _, rest = one.sql.partition(" VALUES ")
    row, tail = rest[:rest.index(")") + 1], rest[rest.index(")") + 1:]  # "(?, ..., ?)", " ON CONFLICT ..."
    sql = f"{head} VALUES {', '.join([row] * len(first))}{tail}"
    params = [value for prepared in first.values() for value in one.row(prepared.values)]
    connection = engine.raw_connection()
    try:
        cursor = connection.driver_connection.cursor()  # type: ignore[union-attr]
        with sqlite_write_turn(engine, intake=True):
            returned = cursor.execute(sql, params).fetchall()
        new: Ids = {(channel, sender, external_id): mid for mid, channel, sender, external_id in returned}
        # Stored before (a redelivery): committed, so read after the turn.
        stored: Ids = {key: cursor.execute(_STORED, key).fetchone()[0] for key in first if key not in new}
    finally:
        connection.close()
    return new, stored


def _insert_rows(engine: Engine, cursor, one, first: dict[tuple[str, str, str], _Prepared]) -> tuple[Ids, Ids]:
    new: Ids = {}
    stored: Ids = {}
    for key, prepared in first.items():
        row = cursor.execute(one.sql, one.row(prepared.values)).fetchone()
        if row is not None:
            new[key] = row[0]
        else:  # stored before: a redelivery
            stored[key] = cursor.execute(_STORED, key).fetchone()[0]
    attachments = [{**att, "message_id": new[key]} for key, p in first.items() if key in new
                   for att in p.attachments]
    if attachments:
        names = list(attachments[0])
        many = bulk.compiled_once(engine.dialect, ("intake attachments", *names), lambda: insert(ATTACHMENTS), names)
        cursor.executemany(many.sql, [many.row(values) for values in attachments])
    return new, stored


_committers: dict[str, GroupCommitter[_Prepared, Accepted]] = {}
_committers_lock = threading.Lock()


def _committer(engine: Engine) -> GroupCommitter[_Prepared, Accepted]:
    """One committer per database, so every door's accepts join the same groups."""
    key = engine.url.render_as_string(hide_password=False)
    with _committers_lock:
        if key not in _committers:
            _committers[key] = GroupCommitter(lambda group: _write_group(engine, group))
        return _committers[key]


def accept(inbound: Inbound, engine: Engine | None = None) -> Accepted:
    """Store `inbound` (redacted) as pending and return once it is committed."""
    prepared = _prepare(inbound)
    accepted = _committer(engine or get_engine()).submit(prepared)
    if accepted.duplicate:
        log.info("duplicate %s message ignored (message %s)", inbound.channel, accepted.message_id,
                 extra=log_extra(accepted.message_id))
        return accepted
    log.info("accepted %s message %s%s", inbound.channel, accepted.message_id,
             f" (secrets removed: {', '.join(prepared.kinds)})" if prepared.kinds else "",
             extra=log_extra(accepted.message_id))
    get_doorbell().ring("inbound")
    return accepted


def already_accepted(channel: str, external_ids: set[str], engine: Engine | None = None) -> set[str]:
    """Which of `external_ids` a door that can ask before it downloads (IMAP) should skip:
    those stored on `channel` already, and the ids of anything we sent, on any channel.
    Our own mail seen again is never a customer's: an answer to a web form goes out by
    mail but is stored on `webform`, and a copy of it in the mailbox is still ours. A
    customer's message on another channel is another message, whatever its id."""
    if not external_ids:
        return set()
    with read_scope(engine) as session:
        return set(session.execute(select(MESSAGES.c.external_id).where(
            MESSAGES.c.external_id.in_(external_ids),
            or_(MESSAGES.c.channel == channel, MESSAGES.c.direction == "out"))).scalars())


def accept_alone(inbound: Inbound, engine: Engine | None = None) -> Accepted:
    """The path before group commit, one transaction per message: kept so that
    bench/intake.py can measure both side by side. Channels call `accept`."""
    return _write_group(engine or get_engine(), [_prepare(inbound)])[0]
