"""Edits: a customer changed a message they had sent (Telegram's edited_message).

While the stored message still waits for the pipeline, its text is replaced (redacted
like any text), so the case is triaged on what the customer meant. Once it has been
processed, agents have seen it and decisions were made on it: the new version is stored
as a new message of the same conversation, noting which message it replaces, and goes
through the pipeline itself (a secret added by the edit is redacted and escalates the
case like any other). An edit of a message we never received is stored as that message.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import Engine, select, update
from sqlmodel import col

from channels.base import Inbound
from router.queue.intake import Accepted, accept
from router.secrets.redact import redact
from router.storage.db import get_engine, session_scope
from router.storage.models import Message

log = logging.getLogger(__name__)


def _replace_pending(inbound: Inbound, engine: Engine) -> Accepted | None:
    """Replace the text of the stored message if it is still pending; None when it is not
    stored, and an Accepted marked duplicate when it has been processed already."""
    redacted = redact(inbound.text)
    key = (col(Message.channel) == inbound.channel, col(Message.sender) == inbound.sender,
           col(Message.external_id) == inbound.external_id, col(Message.direction) == "in")
    with session_scope(engine, writer="intake") as session:
        found = session.execute(select(col(Message.id), col(Message.status), col(Message.parse_notes),
                                       col(Message.secret_kinds)).where(*key)).first()
        if found is None:
            return None
        if found.status != "pending":
            return Accepted(found.id, duplicate=True)
        notes = list(found.parse_notes) + [n for n in inbound.parse_notes if n not in found.parse_notes]
        kinds = list(dict.fromkeys([*found.secret_kinds, *redacted.kinds]))
        # Only while still pending: a drain that claimed it meanwhile makes this a no-op.
        changed = session.execute(update(Message).where(*key, col(Message.status) == "pending").values(
            text=redacted.text, parse_notes=notes, secret_kinds=kinds)).rowcount  # type: ignore[attr-defined]
    return Accepted(found.id, duplicate=False) if changed else Accepted(found.id, duplicate=True)


def accept_edit(inbound: Inbound, edit_key: str, engine: Engine | None = None) -> Accepted:
    """Store the edited version `inbound` (whose external id is the original message's);
    `edit_key` tells versions apart (Telegram's edit_date), so a redelivered edit stores
    nothing new."""
    engine = engine or get_engine()
    replaced = _replace_pending(inbound, engine)
    if replaced is None:
        return accept(inbound, engine)
    if not replaced.duplicate:
        log.info("%s message %s edited before processing: text replaced", inbound.channel, replaced.message_id)
        return replaced
    version = replace(inbound, external_id=f"{inbound.external_id}:edit:{edit_key}",
                      in_reply_to=inbound.external_id,
                      parse_notes=[*inbound.parse_notes,
                                   f"new version of message {replaced.message_id}, which had already been processed"])
    return accept(version, engine)
