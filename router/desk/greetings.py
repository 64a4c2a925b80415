"""Greetings: the desk's answer to a customer who opens a chat without a question yet
(Telegram's /start). It goes through the outbox like any message, opens no case, and is
queued once per opening message however often that message is redelivered."""
from __future__ import annotations

import logging

from sqlalchemy import Engine

from channels import get_channel
from channels.base import Inbound
from config.desk import Desk, get_desk
from router.clock import utcnow
from router.queue.doorbell import get_doorbell
from router.queue.intake import KEY  # the greeting is one row per (channel, sender, external id), like any message
from router.secrets.redact import redact
from router.storage import rows
from router.storage.db import get_engine, session_scope, upsert_dialect_insert
from router.storage.models import Message

log = logging.getLogger(__name__)


def greeting_language(desk: Desk, language_code: str) -> str:
    """The desk's template language for a client language tag ("zh-hans" -> "zh")."""
    primary = (language_code or "").split("-", 1)[0].strip().lower()
    return primary if primary in desk.acknowledgement.templates else desk.desk.default_language


def queue_greeting(inbound: Inbound, language_code: str, engine: Engine | None = None) -> bool:
    """Queue the greeting answering `inbound` in the customer's language; False when it was
    queued before (the same opening message delivered again)."""
    desk = get_desk()
    language = greeting_language(desk, language_code)
    name = redact(inbound.sender_name).text.strip()
    text = desk.acknowledgement.templates[language].greeting.format(
        desk_name=desk.desk.name, customer_name_suffix=f" {name}" if name else "")
    sender, sender_name = get_channel(inbound.channel).our_address()
    row = rows.new(Message, direction="out", channel=inbound.channel, external_id=f"greeting:{inbound.external_id}",
                   status="queued", sender=sender, sender_name=sender_name, recipient=inbound.sender,
                   text=text, language=language, automatic=True, created_at=utcnow())
    table = rows.table_of(Message)
    with session_scope(engine or get_engine(), writer="intake") as session:
        inserted = session.execute(
            upsert_dialect_insert(session)(table).on_conflict_do_nothing(index_elements=list(KEY))
            .returning(table.c.id), [{c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}],
        ).scalars().first()
    if inserted is None:
        log.info("greeting for %s message %s already queued", inbound.channel, inbound.external_id)
        return False
    log.info("greeting queued in %s for %s chat %s (outbound message %s)", language, inbound.channel,
             inbound.sender, inserted)
    get_doorbell().ring("outbound")
    return True
