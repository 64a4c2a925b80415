"""Intake: the edge where a parsed message becomes durable.

accept = redact secrets, insert the message as pending (a redelivery is a no-op thanks
to UNIQUE(channel, external_id)), commit, then ring the doorbell. Concurrent callers are
committed together, one transaction per group (`router.group_commit`); a channel tells
its sender "accepted" only after `accept` returns, that is after its group committed.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, tuple_

from channels.base import Inbound
from router.clock import utcnow
from router.db import get_engine, read_scope, session_scope, upsert_dialect_insert
from router.doorbell import get_doorbell
from router.group_commit import GroupCommitter
from router.logs import log_extra
from router.models import Attachment, Message
from router.redact import redact

log = logging.getLogger(__name__)
MESSAGES, ATTACHMENTS = Message.__table__, Attachment.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: int
    duplicate: bool  # the same (channel, external_id) was accepted before


def _redact_fields(inbound: Inbound) -> tuple[dict[str, str], list[str]]:
    kinds: list[str] = []
    out: dict[str, str] = {}
    for name in ("text", "subject", "sender_name"):
        result = redact(getattr(inbound, name) or "")
        out[name] = result.text
        kinds.extend(k for k in result.kinds if k not in kinds)
    return out, kinds


def _redact_attachment(data: bytes | None, content_type: str) -> tuple[bytes | None, tuple[str, ...]]:
    """Text attachments are scanned like the body; other files cannot be read here."""
    if data is None or not content_type.startswith("text/"):
        return data, ()
    result = redact(data.decode("utf-8", errors="replace"))
    return (result.text.encode("utf-8") if result.kinds else data), result.kinds


@dataclass
class _Prepared:
    """One redacted message ready to insert, with its attachments' rows."""

    values: dict[str, Any]
    kinds: list[str]
    attachments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return self.values["channel"], self.values["external_id"]


def _prepare(inbound: Inbound) -> _Prepared:
    fields, kinds = _redact_fields(inbound)
    attachments = []
    for att in inbound.attachments:
        data, found = _redact_attachment(att.data, att.content_type)
        kinds.extend(k for k in found if k not in kinds)
        attachments.append({
            "filename": redact(att.filename).text, "content_type": att.content_type, "size": att.size,
            "data": data, "sha256": hashlib.sha256(data).hexdigest() if data is not None else ""})
    values = {
        "direction": "in", "channel": inbound.channel, "external_id": inbound.external_id[:998],
        "status": "pending", "sender": inbound.sender, "recipient": inbound.recipient,
        "sender_name": fields["sender_name"], "subject": fields["subject"], "text": fields["text"],
        "secret_kinds": kinds, "auto_submitted": inbound.auto_submitted,
        "auto_reason": inbound.auto_reason[:200], "delivery_report": inbound.delivery_report,
        "in_reply_to": inbound.in_reply_to, "references": list(inbound.references),
        "parse_notes": list(inbound.parse_notes), "received_at": inbound.received_at,
        "created_at": utcnow(), "attempts": 0, "automatic": False,
    }
    return _Prepared(values, kinds, attachments)


def _write_group(engine: Engine, group: Sequence[_Prepared]) -> list[Accepted]:
    """Insert the group in one transaction: the first of each (channel, external_id) is a
    candidate, later ones in the group are its duplicates; a key already stored is a
    duplicate of the stored row."""
    first: dict[tuple[str, str], _Prepared] = {}
    for prepared in group:
        first.setdefault(prepared.key, prepared)
    with session_scope(engine, writer="intake") as session:
        stmt = upsert_dialect_insert(session)(MESSAGES).on_conflict_do_nothing(
            index_elements=["channel", "external_id"]).returning(
            MESSAGES.c.id, MESSAGES.c.channel, MESSAGES.c.external_id)
        new = {(ch, ext): mid for mid, ch, ext in
               session.execute(stmt, [p.values for p in first.values()])}
        missing = [key for key in first if key not in new]
        stored = {(ch, ext): mid for mid, ch, ext in session.execute(
            select(MESSAGES.c.id, MESSAGES.c.channel, MESSAGES.c.external_id).where(
                tuple_(MESSAGES.c.channel, MESSAGES.c.external_id).in_(missing)))} if missing else {}
        attachments = [{**att, "message_id": new[key]} for key, p in first.items() if key in new
                       for att in p.attachments]
        if attachments:
            session.execute(insert(ATTACHMENTS), attachments)
    return [Accepted(new[p.key], duplicate=False) if first[p.key] is p and p.key in new
            else Accepted(new.get(p.key) or stored[p.key], duplicate=True) for p in group]


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
    """Which of `external_ids` are stored on `channel` already (in or out: our own sent mail
    seen again is not a customer's either); a door that can ask before it downloads
    (IMAP) skips them."""
    if not external_ids:
        return set()
    with read_scope(engine) as session:
        return set(session.execute(select(MESSAGES.c.external_id).where(
            MESSAGES.c.channel == channel, MESSAGES.c.external_id.in_(external_ids))).scalars())


def accept_alone(inbound: Inbound, engine: Engine | None = None) -> Accepted:
    """The path before group commit, one transaction per message: kept so that
    bench/intake.py can measure both side by side. Channels call `accept`."""
    return _write_group(engine or get_engine(), [_prepare(inbound)])[0]
