"""The shapes every channel speaks: what arrives (`Inbound`) and what goes out (`Outbound`).

A channel's `parse(raw)` turns its wire format into an `Inbound` without any I/O;
its `send_many(outbounds, progress=None)` delivers a batch of `Outbound` and reports one
`DeliveryResult` each, in order, and `send(outbound)` is that plural called with one. While
it sends, it tells `progress` (a `SendProgress`) about each message as it goes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


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
    # such mail is stored, never answered automatically, and opens no work.
    auto_submitted: bool = False
    auto_reason: str = ""  # which sign said so, shown to agents
    # A bounce's delivery status report (`channels.email.dsn`): which addresses failed for good.
    delivery_report: dict | None = None
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
    # Answers the customer may tap (a rating's 1-5): Telegram shows them as a one-time
    # reply keyboard; channels without buttons ignore them (the text says what to answer).
    choices: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DeliveryResult:
    ok: bool
    # A permanent failure is not retried (unknown recipient, blocked bot).
    permanent: bool = False
    detail: str = ""
    # A transient failure for which the service named its own wait (Telegram's 429
    # "retry after N seconds"): the next attempt comes after this many seconds instead of
    # the backoff's.
    retry_after: float | None = None
    # wechat: the channel takes the message only once the customer writes again (WeChat's
    # 48-hour window); the outbox keeps it as `held` (router.delivery.held) instead of failing it.
    hold: bool = False


class SendProgress(Protocol):
    """The outbox listening while a channel sends a batch, one message at a time.

    A channel calls `proceed(i)` before it starts message i and skips the message when the
    answer is False (the outbox no longer holds it), and `outcome(i, result)` as soon as
    message i's result is known, before it starts the next one. That order lets the outbox
    commit one acceptance before the next message can be accepted, so a crash leaves at
    most the message in hand unrecorded. Either may raise (the database is gone): the
    channel lets it propagate and sends nothing more."""

    def proceed(self, index: int) -> bool: ...

    def outcome(self, index: int, result: DeliveryResult) -> None: ...
