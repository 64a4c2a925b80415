"""What the agent API answers: one pydantic model per JSON shape, and how rows become them.

These are the OpenAPI schema's response bodies, so a client (and the schemathesis test)
can rely on every field's name and type. Times are ISO 8601 strings in UTC with a
trailing Z (`router.clock.iso`), as they always were; a time that has not happened yet
(no reply so far, no deadline) is null.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from router.clock import iso, utcnow
from router.csat.links import hidden
from router.storage.models import Conversation, Csat, Event, Message

# An ISO 8601 time in UTC, "2026-12-07T03:18:26Z"; the format is documented, not re-parsed.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class QueueRow(BaseModel):
    """One open conversation in a list: a pool's queue or my conversations."""

    id: int
    subject: str
    channel: str
    state: str = Field(description="open | waiting_customer | resolved")
    category: str
    urgency: str
    language: str
    pool: str | None
    assignee: str | None
    customer: str | None = Field(description="the customer's display name")
    due_at: Timestamp | None = Field(description="the earliest open deadline")
    seconds_left: int | None = Field(description="until due_at; negative once it has passed")
    preview: str = Field(description="the first line of the latest inbound message, at most 140 characters")
    contains_secret: bool


class Me(BaseModel):
    name: str
    display_name: str
    role: str = Field(description="agent | supervisor | admin")
    status: str = Field(description="online | away | offline")
    capacity: int
    open: int = Field(description="open conversations assigned to me")
    pools: list[str]
    languages: list[str]


class AgentOut(BaseModel):
    """An agent as the admin's list shows them."""

    name: str
    display_name: str
    role: str = Field(description="agent | supervisor | admin")
    status: str = Field(description="online | away | offline")
    pools: list[str]
    capacity: int
    open: int


class TokenOut(BaseModel):
    """One of an agent's tokens, by name: the token itself is shown once, when issued."""

    name: str
    created_at: Timestamp


class IssuedToken(BaseModel):
    agent: str
    name: str
    token: str = Field(description="shown in this answer only; stored as a hash")


class PoolOut(BaseModel):
    name: str
    description: str
    open: int = Field(description="open conversations in the pool")
    escalation: str | None = Field(description="the pool a breached conversation moves to")


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    stored: bool = Field(description="false when the file was over the size limit or refused by policy")


class MessageOut(BaseModel):
    id: int
    direction: str = Field(description="in (from the customer) | out (from us)")
    channel: str
    status: str
    sender: str
    sender_name: str
    recipient: str
    subject: str
    text: str = Field(description="redacted before it was stored; rating links' tokens hidden")
    created_at: Timestamp
    automatic: bool
    author: str | None = Field(description="the agent who wrote an outbound reply")
    secret_kinds: list[str]
    category: str | None
    urgency: str | None
    language: str | None
    auto_submitted: bool
    auto_reason: str = Field(description="why an inbound message was taken as automatic (auto-reply, bounce, list)")
    delivery_report: dict[str, Any] | None = Field(description="a bounce's parsed delivery status, when it is one")
    parse_notes: list[str]
    error: str | None
    attachments: list[AttachmentOut]


class EventOut(BaseModel):
    kind: str
    actor: str
    at: Timestamp
    message_id: int | None
    data: dict[str, Any]


class NoteOut(BaseModel):
    """An internal note: for agents only, never sent to the customer."""

    id: int
    author: str = Field(description="the agent who wrote it")
    at: Timestamp
    text: str = Field(description="redacted before it was stored")
    secret_kinds: list[str] = Field(description="the kinds of secret taken out of it, if any")


class IdentityOut(BaseModel):
    channel: str
    address: str
    undeliverable: bool


class OtherConversation(BaseModel):
    id: int
    channel: str
    state: str
    subject: str
    created_at: Timestamp


class CustomerOut(BaseModel):
    id: int
    name: str
    identities: list[IdentityOut]
    conversations: list[OtherConversation] = Field(description="the customer's others, newest first, at most 20")


class Deadlines(BaseModel):
    due_at: Timestamp | None
    seconds_left: int | None
    first_reply_due_at: Timestamp | None
    next_reply_due_at: Timestamp | None
    resolution_due_at: Timestamp | None


class CsatOut(BaseModel):
    """One resolution's rating request and the customer's answer, if any (router/csat/ratings.py)."""

    resolved_at: Timestamp = Field(description="the resolution it asks about")
    requested_at: Timestamp
    channel: str = Field(description="the channel the request went out by")
    score: int | None = Field(description="1 (poor) to 5 (excellent); null until the customer rates")
    comment: str = Field(description="the customer's comment, redacted before it was stored")
    rated_by: str | None = Field(description="link (the signed link's page) or the channel the reply came by")
    rated_at: Timestamp | None


class ConversationOut(BaseModel):
    """A whole conversation: messages, events, deadlines and the reasons for its routing."""

    id: int
    subject: str
    channel: str
    state: str
    category: str
    urgency: str
    language: str
    contains_secret: bool
    pool: str | None
    assignee: str | None
    customer: CustomerOut
    created_at: Timestamp
    first_replied_at: Timestamp | None
    resolved_at: Timestamp | None
    investigating_since: Timestamp | None = None
    deadlines: Deadlines
    sla: dict[str, Any] = Field(description="the SLA rule, whether the clocks are paused, and each deadline's state")
    metrics: dict[str, Any] = Field(description="first reply and resolution in business time, replies, breaches")
    reasons: list[dict[str, Any]] = Field(description="why it is where it is: {step, reason, ...}, in order")
    confidence: dict[str, float] | None = Field(
        default=None, description="triage's calibrated confidence (0..1) in its latest category and urgency, "
                                  "from its latest classify reason; agents' corrections do not change it")
    messages: list[MessageOut]
    notes: list[NoteOut] = Field(description="agents' internal notes, oldest first; never sent to the customer")
    events: list[EventOut]
    csat: list[CsatOut] = Field(default_factory=list, description="rating requests and answers, one per resolution")


class ReplyOut(BaseModel):
    message_id: int = Field(description="the outbound message, queued for its channel")
    status: str
    external_id: str
    state: str = Field(description="the conversation's state after the reply (waiting_customer when asked)")


class Resolved(BaseModel):
    id: int
    state: str


class StatusUpdateOut(BaseModel):
    message_id: int
    language: str | None
    status: str


class InvestigationOut(BaseModel):
    id: int
    state: str
    investigating_since: Timestamp | None
    due_at: Timestamp | None
    next_reply_due_at: Timestamp | None
    status_update: StatusUpdateOut | None = Field(default=None, description="the update queued to the customer")


class Reassigned(BaseModel):
    id: int
    pool: str | None
    assignee: str | None


class Relabelled(BaseModel):
    id: int
    category: str
    urgency: str
    pool: str | None
    assignee: str | None
    due_at: Timestamp | None


class TimesOut(BaseModel):
    count: int = Field(description="conversations that reached the event")
    p50: float | None = Field(description="seconds, calendar time from opening; null when count is 0")
    p90: float | None


class CountOut(BaseModel):
    name: str
    count: int


class DayOut(BaseModel):
    day: str = Field(json_schema_extra={"format": "date"}, description="a UTC day, YYYY-MM-DD")
    count: int


class CsatSummaryOut(BaseModel):
    """Customer ratings over a range (router/reports/csat.py)."""

    requests: int = Field(description="rating requests sent for resolutions in the range")
    responses: int
    counts: dict[str, int] = Field(description="answers per score, '1' to '5'")
    average: float | None = Field(description="of the answers; null when there is none")


class ReportSummary(BaseModel):
    """The Reports page's figures for conversations opened in [start, end) (router/reports/figures.py)."""

    start: Timestamp
    end: Timestamp
    pool: str | None = Field(description="the pool asked for; null: every pool the caller may see")
    conversations: int
    first_reply_seconds: TimesOut
    resolution_seconds: TimesOut
    first_reply_met: int
    first_reply_breached: int
    first_reply_open: int = Field(description="unanswered and not yet due")
    share_met: float | None = Field(description="met / (met + breached); null when both are 0")
    share_breached: float | None
    by_channel: list[CountOut]
    by_category: list[CountOut]
    by_hour: list[int] = Field(description="24 counts, by the UTC hour of opening")
    csat: CsatSummaryOut = Field(description="ratings of the resolutions made in [start, end)")
    by_day: list[DayOut] = Field(description="every UTC day of the range, zeros included")


def seconds_left(due: datetime | None) -> int | None:
    return None if due is None else int((due - utcnow()).total_seconds())


def _name(names: dict[int, str], key: int | None) -> str | None:
    return None if key is None else names.get(key)


def queue_row(c: Conversation, pools: dict[int, str], agents: dict[int, str],
              customers: dict[int, str], previews: dict[int, str]) -> QueueRow:
    assert c.id is not None  # read from the database
    return QueueRow(
        id=c.id, subject=c.subject, channel=c.channel, state=c.state,
        category=c.category, urgency=c.urgency, language=c.language,
        pool=_name(pools, c.pool_id), assignee=_name(agents, c.assignee_id),
        customer=_name(customers, c.customer_id), due_at=iso(c.due_at),
        seconds_left=seconds_left(c.due_at), preview=_name(previews, c.id) or "",
        contains_secret=c.contains_secret,
    )


def message_out(m: Message, attachments: list[AttachmentOut], agents: dict[int, str]) -> MessageOut:
    assert m.id is not None
    return MessageOut(
        id=m.id, direction=m.direction, channel=m.channel, status=m.status,
        sender=m.sender, sender_name=m.sender_name, recipient=m.recipient,
        subject=m.subject, text=hidden(m.text), created_at=iso(m.created_at) or "",
        automatic=m.automatic, author=_name(agents, m.author_id), secret_kinds=m.secret_kinds,
        category=m.category, urgency=m.urgency, language=m.language,
        auto_submitted=m.auto_submitted, auto_reason=m.auto_reason, delivery_report=m.delivery_report,
        parse_notes=m.parse_notes, error=m.error,
        attachments=attachments,
    )


def note_out(e: Event) -> NoteOut:
    assert e.id is not None
    return NoteOut(id=e.id, author=e.actor, at=iso(e.at) or "", text=str(e.data.get("text", "")),
                   secret_kinds=[str(k) for k in e.data.get("secret_kinds", [])])
def csat_out(survey: Csat) -> CsatOut:
    return CsatOut(resolved_at=iso(survey.resolved_at) or "", requested_at=iso(survey.requested_at) or "",
                   channel=survey.channel, score=survey.score, comment=survey.comment,
                   rated_by=survey.rated_by, rated_at=iso(survey.rated_at))


def event_out(e: Event) -> EventOut:
    return EventOut(kind=e.kind, actor=e.actor, at=iso(e.at) or "", message_id=e.message_id, data=e.data)


class PresenceOut(BaseModel):
    """The agent's presence after the change."""

    status: str = Field(description="online | away | offline")
    before: str = Field(description="the presence it replaced (the same when nothing changed)")
    assigned: int = Field(description="waiting conversations assigned to the agent as they came online")
