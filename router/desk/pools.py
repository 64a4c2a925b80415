"""A conversation's pool by name: the desk file's policy (SLA rules, calendars) is keyed by it."""
from __future__ import annotations

from sqlmodel import Session

from router.storage.models import Conversation, Pool


def pool_name_of(session: Session, conversation: Conversation) -> str | None:
    pool = session.get(Pool, conversation.pool_id) if conversation.pool_id else None
    return pool.name if pool else None
