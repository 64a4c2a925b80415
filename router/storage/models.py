"""The tables: customers and their channel identities, pools and agents, conversations,
messages in and out, attachments, and the append-only event log.

Times are timezone-aware UTC (`router.clock.utcnow`); SQLModel stores them as
timestamptz on PostgreSQL and as UTC text on SQLite.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from router.clock import utcnow


def _empty_list() -> list:
    # A Python function, not the builtin `list`: pydantic reads a default factory's
    # signature for every object it builds, and a builtin's costs half a millisecond.
    return []


def _empty_dict() -> dict:
    return {}


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    display_name: str = ""
    language: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Identity(SQLModel, table=True):
    """One address of a customer on one channel (an email address, a Telegram chat id)."""

    __table_args__ = (UniqueConstraint("channel", "address", name="uq_identity_channel_address"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str
    address: str
    # Set when the channel told us it can never deliver there (bounce, blocked bot).
    undeliverable: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Pool(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    description: str = ""
    escalation: str | None = None


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    display_name: str = ""
    email: str = ""
    # sha256 of the API token; tokens are 256-bit random, so a fast hash is enough.
    token_hash: str | None = Field(default=None, index=True)
    # The dashboard password, as the hasher's whole string (argon2id, its salt and cost
    # inside it; router/desk/passwords.py); None until `msgrouter passwd NAME` sets one.
    password_hash: str | None = None
    status: str = "online"  # online | away | offline
    # agent | supervisor | admin (config.desk.ROLES), from the desk file; router/web/access.py reads it.
    role: str = Field(default="agent", sa_column_kwargs={"server_default": "agent"})
    capacity: int = 10
    languages: str = "zh,en"  # comma-separated
    # Kept in step with assignments in the same transaction, so a claim can be one
    # atomic UPDATE ... WHERE open_count < capacity.
    open_count: int = 0
    last_assigned_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    pool_id: int = Field(foreign_key="pool.id", primary_key=True)


class Conversation(SQLModel, table=True):
    __table_args__ = (
        Index("ix_conversation_queue", "pool_id", "state", "due_at"),
        Index("ix_conversation_assignee", "assignee_id", "state", "due_at"),
        Index("ix_conversation_due", "state", "due_at"),
        # Partial indexes walked in queue order (due_at, NULLs last, then id), so a pool's
        # queue page and tick's fill read a page without sorting the whole pool.
        # PostgreSQL's ascending btree keeps NULLs last; SQLite walks the index twice.
        Index("ix_conversation_pool_open", "pool_id", "due_at", "id",
              postgresql_where=text("state <> 'resolved'"), sqlite_where=text("state <> 'resolved'")),
        Index("ix_conversation_pool_unassigned", "pool_id", "due_at", "id",
              postgresql_where=text("assignee_id IS NULL AND state <> 'resolved'"),
              sqlite_where=text("assignee_id IS NULL AND state <> 'resolved'")),
        # Only conversations with an SLA alarm ahead: tick's one query walks these in time
        # order, never the open cases nothing is due on (repeated in migration 0010).
        Index("ix_conversation_sla_check", "sla_check_at",
              postgresql_where=text("sla_check_at IS NOT NULL"),
              sqlite_where=text("sla_check_at IS NOT NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str
    subject: str = ""
    # parked: only machine-written mail (auto-replies, bounces, lists) is in it, so it is
    # nobody's work: no pool, no assignee, no deadlines (router/steps/automatic.py).
    state: str = "open"  # open | waiting_customer | investigating | resolved | parked
    category: str = "general"
    urgency: str = "normal"
    language: str = "en"
    contains_secret: bool = False
    pool_id: int | None = Field(default=None, foreign_key="pool.id")
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_inbound_at: datetime | None = None
    first_replied_at: datetime | None = None
    resolved_at: datetime | None = None
    # Deadlines are columns, not broker ETAs: tick scans `due_at` with one indexed query.
    first_reply_due_at: datetime | None = None
    next_reply_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    due_at: datetime | None = None  # the earliest open deadline
    # When the next-reply clock started: the oldest customer message still unanswered.
    next_reply_since: datetime | None = None
    # Since when the desk has been investigating (state `investigating`); None otherwise.
    # The clocks need only `next_reply_since`: marking investigating starts it.
    investigating_since: datetime | None = None
    # The next SLA warning or breach tick must look at; None when nothing is ahead.
    sla_check_at: datetime | None = None
    # The clock's pause history, [[paused_at, resumed_at or None, reason], ...] (ISO UTC):
    # every due time is worked out from it, so working it out again gives the same answer.
    pauses: list[list[Any]] = Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))
    # Why the conversation is where it is: [{"step": ..., "reason": ...}, ...]
    reasons: list[dict[str, Any]] = Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))


class Message(SQLModel, table=True):
    """A message in (from a customer) or out (from an agent or the desk's automation).

    Inbound: pending -> processing -> done | failed. Outbound: queued -> sending -> sent,
    back to queued to wait for a retry, failed when the channel refused it for good,
    parked when the retries ran out (`msgrouter replay --outbound ID` queues it again), or
    held (the channel takes it only once the customer writes again: router.delivery.held) -> queued.
    """

    __table_args__ = (
        # Anybody can write any Message-ID: an id is one message only together with its sender.
        UniqueConstraint("channel", "sender", "external_id", name="uq_message_channel_sender_external_id"),
        # Threading looks messages up by the ids they reference, whoever sent them.
        Index("ix_message_channel_external_id", "channel", "external_id"),
        Index("ix_message_work", "direction", "status", "id"),
        # Only rows waiting for or in work, in id order: a claim walks these, never the
        # done and sent history (predicate repeated in router.queue.claims.LIVE).
        Index("ix_message_live", "direction", "id",
              postgresql_where=text("status IN ('pending', 'processing', 'queued', 'sending')"),
              sqlite_where=text("status IN ('pending', 'processing', 'queued', 'sending')")),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    direction: str  # in | out
    channel: str
    external_id: str
    status: str
    sender: str = ""
    sender_name: str = ""
    recipient: str = ""
    subject: str = ""
    text: str = ""  # redacted before it was ever written
    language: str | None = None
    category: str | None = None
    urgency: str | None = None
    secret_kinds: list[str] = Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))
    auto_submitted: bool = False  # inbound written by a machine: never answered automatically
    # Which sign said so ("Auto-Submitted: auto-replied", "Precedence: bulk", "MAIL FROM:<>").
    auto_reason: str = ""
    # A delivery status report (bounce): {"original_message_id": ..., "permanent": [addresses],
    # "statuses": {address: "5.1.1"}}; None for every other message.
    delivery_report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    automatic: bool = False  # outbound written by us automatically (acknowledgement)
    # Outbound: answers offered to tap (a rating's 1-5); Telegram shows a reply keyboard.
    choices: list[str] = Field(default_factory=_empty_list,
                               sa_column=Column(JSON, nullable=False, server_default="[]"))
    author_id: int | None = Field(default=None, foreign_key="agent.id")
    in_reply_to: str = ""
    references: list[str] = Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))
    parse_notes: list[str] = Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))
    received_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    # Who holds the claim (a fresh random token per outbound claim): a worker writes its
    # results, and renews its lease, only on rows that still carry its token.
    claim_token: str | None = None
    # Outbound: when the first failed attempt happened plus the retry window; a transient
    # failure after this parks the mail instead of queueing it again.
    retry_until: datetime | None = None
    processed_at: datetime | None = None
    attempts: int = 0
    error: str | None = None
    failed_step: str | None = None


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    filename: str
    content_type: str
    size: int
    sha256: str = ""
    # None when the file was larger than the limit: its name and size are still shown.
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class Event(SQLModel, table=True):
    """Append-only history of a conversation: never updated, never deleted."""

    __table_args__ = (Index("ix_event_conversation", "conversation_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    kind: str
    actor: str = "system"
    at: datetime = Field(default_factory=utcnow)
    data: dict[str, Any] = Field(default_factory=_empty_dict, sa_column=Column(JSON, nullable=False))


class DeliveryReceipt(SQLModel, table=True):
    """The channel's acceptance of one outbound message (the relay's 250), keyed by its
    Message-ID and committed on its own the moment it is known, before the next mail
    starts: a worker that dies after this leaves a row in `sending` that recovery marks sent
    instead of sending again."""

    __tablename__ = "delivery_receipt"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_delivery_receipt_channel_external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    external_id: str  # our Message-ID of the mail
    message_id: int = Field(foreign_key="message.id")
    attempt: int  # the message's attempt that was accepted
    accepted_at: datetime = Field(default_factory=utcnow)
    detail: str = ""  # the channel's answer, e.g. "250 2.0.0 queued as ..."


class SlaAlarm(SQLModel, table=True):
    """An SLA warning or breach, recorded once: the unique key is the deadline itself (which
    clock, started when), so two ticks at once insert it once and only the one that did
    records its events and escalates."""

    __tablename__ = "sla_alarm"
    __table_args__ = (UniqueConstraint("conversation_id", "deadline", "kind", "clock_start",
                                       name="uq_sla_alarm_deadline_kind"),
                      Index("ix_sla_alarm_at", "at"))
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    deadline: str  # first_reply | next_reply | resolution
    kind: str  # warning | breach
    clock_start: datetime
    due_at: datetime  # when the alarm was due (the deadline itself for a breach)
    at: datetime = Field(default_factory=utcnow)  # when tick recorded it
    pool: str = ""
    channel: str = ""
    agent: str | None = None


class Correction(SQLModel, table=True):
    """An agent's correction of a message's labels: the desk's own training data."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    agent_id: int = Field(foreign_key="agent.id")
    category: str
    urgency: str
    previous_category: str | None = None
    previous_urgency: str | None = None
    at: datetime = Field(default_factory=utcnow)


class ImapCursor(SQLModel, table=True):
    """How far `msgrouter imap` has read one mailbox: a restart continues after `last_uid`
    while the mailbox keeps its UIDVALIDITY (RFC 3501: UIDs are only valid with it)."""

    __tablename__ = "imap_cursor"
    __table_args__ = (UniqueConstraint("account", "mailbox", name="uq_imap_cursor_account_mailbox"),)
    id: int | None = Field(default=None, primary_key=True)
    account: str  # user@host:port, never the password
    mailbox: str
    # Both are unsigned 32-bit numbers in IMAP: wider than a PostgreSQL integer.
    uidvalidity: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class AgentToken(SQLModel, table=True):
    """One named API token of an agent (a laptop, a script); an agent holds several, and
    revoking one leaves the others working. Only the token's sha256 is stored."""

    __tablename__ = "agent_token"
    __table_args__ = (UniqueConstraint("agent_id", "name", name="uq_agent_token_agent_name"),)
    id: int | None = Field(default=None, primary_key=True)
    # The unique (agent_id, name) constraint is also the index for listing an agent's tokens.
    agent_id: int = Field(foreign_key="agent.id")
    name: str
    # Tokens are 256-bit random, so a fast unsalted hash is enough and can be looked up.
    token_hash: str = Field(unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class AckQuota(SQLModel, table=True):
    """One of a mailbox's automatic-answer slots: `max_per_customer` of them per mailbox,
    each used at most once a window, so no window holds more answers than there are slots.

    The batch locks its senders' slots before it counts (SQLite's write transaction holds
    them too), so two workers cannot both see a free slot and both use it."""

    __tablename__ = "ack_quota"
    channel: str = Field(primary_key=True)  # the channel's kind: email and the website form share caps
    # The mailbox, not the address as written: `sender_key` of the channel (x+1@ is x@).
    normalised_address: str = Field(primary_key=True)
    slot: int = Field(primary_key=True)
    used_at: datetime | None = None  # the slot's last answer; free again a window later
    message_id: int | None = Field(default=None, foreign_key="message.id")


class Csat(SQLModel, table=True):
    """One resolution's satisfaction survey: written when the request goes out, rated
    (score 1-5, a redacted comment) at most once. A conversation resolved again is a new
    resolution and asked again (migration 0013; router/csat/ratings.py writes it)."""

    __table_args__ = (UniqueConstraint("conversation_id", "resolved_at", name="uq_csat_conversation_resolution"),
                      Index("ix_csat_resolved_at", "resolved_at"))
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    resolved_at: datetime  # which resolution: the conversation's resolved_at then
    pool_id: int | None = Field(default=None, foreign_key="pool.id")  # its pool then, for reports
    channel: str  # the channel the request went out by
    message_id: int | None = Field(default=None, foreign_key="message.id")  # the request
    requested_at: datetime = Field(default_factory=utcnow)
    score: int | None = None  # 1-5; None until rated
    comment: str = Field(default="", sa_column_kwargs={"server_default": ""})  # redacted before stored
    rated_by: str | None = None  # the channel the rating came by: "link" or the channel's name
    rated_at: datetime | None = None
