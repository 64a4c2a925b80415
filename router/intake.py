"""Intake: the edge where a parsed message becomes durable.

accept = redact secrets, insert the message as pending (a redelivery is a no-op thanks
to UNIQUE(channel, external_id)), commit, then ring the doorbell. A channel tells its
sender "accepted" only after `accept` returns.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select

from channels.base import Inbound
from router.clock import utcnow
from router.db import session_scope, upsert_dialect_insert
from router.doorbell import get_doorbell
from router.models import Attachment, Message
from router.redact import redact

log = logging.getLogger(__name__)


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


def accept(inbound: Inbound, engine=None) -> Accepted:  # noqa: ANN001
    fields, kinds = _redact_fields(inbound)
    attachments = []
    for att in inbound.attachments:
        data, found = _redact_attachment(att.data, att.content_type)
        kinds.extend(k for k in found if k not in kinds)
        attachments.append((redact(att.filename).text, att.content_type, att.size, data))
    values = dict(
        direction="in", channel=inbound.channel, external_id=inbound.external_id[:998],
        status="pending", sender=inbound.sender, recipient=inbound.recipient,
        sender_name=fields["sender_name"], subject=fields["subject"], text=fields["text"],
        secret_kinds=kinds, auto_submitted=inbound.auto_submitted,
        in_reply_to=inbound.in_reply_to, references=list(inbound.references),
        parse_notes=list(inbound.parse_notes), received_at=inbound.received_at,
        created_at=utcnow(), attempts=0,
    )
    with session_scope(engine) as session:
        insert = upsert_dialect_insert(session)
        stmt = insert(Message).values(**values).on_conflict_do_nothing(
            index_elements=["channel", "external_id"]).returning(Message.id)
        new_id = session.execute(stmt).scalar_one_or_none()
        if new_id is None:
            existing = session.execute(select(Message.id).where(
                Message.channel == values["channel"],
                Message.external_id == values["external_id"])).scalar_one()
            log.info("duplicate %s message ignored (message %s)", inbound.channel, existing)
            return Accepted(existing, duplicate=True)
        for filename, content_type, size, data in attachments:
            session.add(Attachment(
                message_id=new_id, filename=filename, content_type=content_type, size=size,
                data=data, sha256=hashlib.sha256(data).hexdigest() if data is not None else ""))
    log.info("accepted %s message %s%s", inbound.channel, new_id,
             f" (secrets removed: {', '.join(kinds)})" if kinds else "")
    get_doorbell().ring("inbound")
    return Accepted(new_id, duplicate=False)
