"""The JSON shapes of the agent API, and how rows become them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from router.clock import iso, utcnow
from router.models import Attachment, Conversation, Event, Message
from router.web.params import CleanText


class ReplyIn(BaseModel):
    text: CleanText = Field(min_length=1, max_length=50_000)
    # The answer asks the customer for something: the clocks stop until they write again.
    wait_for_customer: bool = False


class InvestigatingIn(BaseModel):
    # Send the customer the desk's templated status update (desk.toml [status_update]).
    status_update: bool = False


class ReassignIn(BaseModel):
    agent: CleanText | None = Field(default=None, max_length=100)
    pool: CleanText | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_target(self) -> ReassignIn:
        if self.agent is None and self.pool is None:
            raise ValueError("give an agent, a pool, or both")
        return self


class LabelsIn(BaseModel):
    category: CleanText | None = Field(default=None, max_length=50)
    urgency: CleanText | None = Field(default=None, max_length=20)


def seconds_left(due: datetime | None) -> int | None:
    return None if due is None else int((due - utcnow()).total_seconds())


def _name(names: dict[int, str], key: int | None) -> str | None:
    return None if key is None else names.get(key)


def queue_row(c: Conversation, pools: dict[int, str], agents: dict[int, str],
              customers: dict[int, str], previews: dict[int, str]) -> dict[str, Any]:
    return {
        "id": c.id, "subject": c.subject, "channel": c.channel, "state": c.state,
        "category": c.category, "urgency": c.urgency, "language": c.language,
        "pool": _name(pools, c.pool_id), "assignee": _name(agents, c.assignee_id),
        "customer": _name(customers, c.customer_id), "due_at": iso(c.due_at),
        "seconds_left": seconds_left(c.due_at), "preview": _name(previews, c.id) or "",
        "contains_secret": c.contains_secret,
    }


def message_out(m: Message, attachments: list[Attachment], agents: dict[int, str]) -> dict[str, Any]:
    return {
        "id": m.id, "direction": m.direction, "channel": m.channel, "status": m.status,
        "sender": m.sender, "sender_name": m.sender_name, "recipient": m.recipient,
        "subject": m.subject, "text": m.text, "created_at": iso(m.created_at),
        "automatic": m.automatic, "author": _name(agents, m.author_id), "secret_kinds": m.secret_kinds,
        "category": m.category, "urgency": m.urgency, "language": m.language,
        "auto_submitted": m.auto_submitted, "auto_reason": m.auto_reason,
        "delivery_report": m.delivery_report, "parse_notes": m.parse_notes, "error": m.error,
        "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type,
                         "size": a.size, "stored": a.data is not None} for a in attachments],
    }


def event_out(e: Event) -> dict[str, Any]:
    return {"kind": e.kind, "actor": e.actor, "at": iso(e.at), "message_id": e.message_id, "data": e.data}
