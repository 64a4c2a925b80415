"""The event log: every change a person would ask about later, appended, never edited."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from router.clock import utcnow
from router.storage.models import Event


def record(session: Session, kind: str, *, conversation_id: int | None = None,
           message_id: int | None = None, actor: str = "system",
           data: dict[str, Any] | None = None) -> Event:
    event = Event(conversation_id=conversation_id, message_id=message_id, kind=kind,
                  actor=actor, at=utcnow(), data=data or {})
    session.add(event)
    return event
