"""The shapes every channel speaks: what arrives (`Inbound`) and what goes out (`Outbound`).

A channel's `parse(raw)` turns its wire format into an `Inbound` without any I/O;
its `send_many(outbounds)` delivers a batch of `Outbound` and reports one `DeliveryResult`
each, in order, and `send(outbound)` is that plural called with one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes | None  # None when the part was over the size limit and not kept
    size: int
    charset: str = ""  # as the sender declared it; intake reads the file in it to redact it


@dataclass(slots=True)
class Inbound:
    """One message as it arrived, normalised. Nothing here is redacted yet."""

    channel: str
    external_id: str  # unique per channel: email Message-ID (or a hash), Telegram chat:msg, ...
    sender: str  # the channel address: an email address, a Telegram chat id, ...
    text: str
    subject: str = ""
    sender_name: str = ""
    recipient: str = ""
    received_at: datetime | None = None
    # Threading hints: the Message-IDs this one answers (email), or a session id (chat).
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    # Set when the message was written by a machine (auto-reply, bounce, list mail):
    # such mail is stored and routed but never answered automatically.
    auto_submitted: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    # What the parser had to guess or could not read, shown to agents.
    parse_notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Outbound:
    """One message to deliver, as the send task reads it back from its row."""

    channel: str
    recipient: str
    text: str
    subject: str = ""
    message_id: str = ""  # our own id for it (email Message-ID)
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    automatic: bool = False  # an acknowledgement, not a person's answer
    language: str = "en"


@dataclass(slots=True)
class DeliveryResult:
    ok: bool
    # A permanent failure is not retried (unknown recipient, blocked bot).
    permanent: bool = False
    detail: str = ""
    # Seconds the remote side asked us to wait before trying again (Telegram's 429
    # retry_after); the outbox waits exactly that instead of its own backoff.
    retry_after: float | None = None
