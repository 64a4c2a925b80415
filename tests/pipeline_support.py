"""Drive the pipeline from its public edges for behaviour tests: mail in through intake,
the drain task's function, the outbox delivering to a real SMTP server, and the outcomes
(conversations, outbound rows, events, mails received) read back."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage

import time_machine
from sqlalchemy import func, select

from channels import email as email_channel
from router.clock import utcnow
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Event, Message
from support import Sink


def ingest(msg: EmailMessage, envelope_from: str = "") -> Message:
    """Accept one mail as our SMTP server would, run the drain task, return its stored row."""
    accepted = accept(email_channel.parse(msg.as_bytes(), envelope_from=envelope_from))
    drain_inbound()
    with session_scope() as session:
        return session.get(Message, accepted.message_id)


def inbound_row(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def conversation(conversation_id: int) -> Conversation:
    with session_scope() as session:
        return session.get(Conversation, conversation_id)


def conversation_count() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Conversation)).scalar()


def outbound_of(conversation_id: int) -> list[Message]:
    with session_scope() as session:
        return list(session.execute(select(Message).where(
            Message.conversation_id == conversation_id, Message.direction == "out")
            .order_by(Message.id)).scalars())


def event_kinds(conversation_id: int) -> list[str]:
    with session_scope() as session:
        return list(session.execute(select(Event.kind).where(
            Event.conversation_id == conversation_id).order_by(Event.id)).scalars())


def delivered(sink: Sink, to: str | None = None) -> list[EmailMessage]:
    """Run the deliver task's function, then the mails the sink holds (for one address)."""
    deliver_pending()
    return [m for m in sink.parsed() if to is None or m["To"] == to]


@contextmanager
def later(delta: timedelta):
    """The wall clock moved forward by `delta` (and still ticking) for everything in the
    block. time-machine 3 leaves time.monotonic alone, so the web app's event loop and the
    SMTP servers keep their own timers."""
    with time_machine.travel(utcnow() + delta, tick=True):
        yield


class RefusingSink(Sink):
    """A real SMTP server that refuses the given recipients for good (550), as a mailbox
    that does not exist does; mail to anyone else is kept."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refused = {address.lower() for address in refused}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address.lower() in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"
