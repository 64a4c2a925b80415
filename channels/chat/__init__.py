"""In-app chat channel: the customer's app talks to `/chat/ws` over a WebSocket, signed by
the app's backend (`signature`); frames in (`parse`), replies out (`send_many`).

For chat, *sent* means deliverable: `send_many` commits the reply as `sent`, which puts it
in the customer's chat inbox (`inbox`), and then announces it (`bus`). A connected socket
pushes it at once; a customer who is offline gets it with the history on the next
connect. It does not mean the customer's device has shown it.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from channels.base import DeliveryResult, Inbound, Outbound, SendProgress
from channels.chat import bus, inbox
from channels.chat.frames import ClientMessage, read
from router.clock import utcnow

# A chat continues the customer's open chat conversation.
THREADS_BY_CUSTOMER = True


def to_inbound(message: ClientMessage, customer: str, received_at: datetime | None = None) -> Inbound:
    # The client's id makes a resend the same message (UNIQUE(channel, external_id));
    # JSON keeps customer and client id apart whatever characters they hold.
    external_id = json.dumps([customer, message.client_id or uuid.uuid4().hex], ensure_ascii=False)
    return Inbound(channel="chat", external_id=external_id, sender=customer, text=message.text,
                   received_at=received_at or utcnow())


def parse(raw: str | bytes, *, customer: str, max_chars: int, received_at: datetime | None = None) -> Inbound:
    """One client frame of a verified customer as a message; FrameError when it is not one."""
    return to_inbound(read(raw, max_chars), customer, received_at)


def send_many(outbounds: list[Outbound], progress: SendProgress | None = None) -> list[DeliveryResult]:
    """Make the replies deliverable (committed as sent), then wake the sockets. `progress`
    is not needed: marking them deliverable is itself the durable record of acceptance."""
    inbox.mark_deliverable([o.message_id for o in outbounds])
    bus.announce(sorted({o.recipient for o in outbounds}))
    return [DeliveryResult(ok=True, detail="in the customer's chat inbox") for _ in outbounds]


def send(outbound: Outbound) -> DeliveryResult:
    return send_many([outbound])[0]


def our_address() -> tuple[str, str]:
    from config.desk import get_desk

    return "", get_desk().desk.name


def new_external_id(conversation_id: int | None) -> str:
    return f"reply.{conversation_id or 0}.{uuid.uuid4().hex}"
