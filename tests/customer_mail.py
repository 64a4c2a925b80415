"""Customer mail into the router through its public edges, for behaviour tests: parse a
real email, accept it at intake, drain the pipeline, and read conversations over the API."""
from __future__ import annotations

from datetime import datetime

import httpx

from channels.email import parse
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def write_in(text: str, *, sender: str, subject: str = "Help",
             in_reply_to: str | None = None) -> tuple[int, str]:
    """A customer's email taken in and run through the pipeline now (the test's clock);
    returns (its conversation id, its Message-ID, for the customer to answer to)."""
    mail = make_email(sender=sender, subject=subject, text=text, in_reply_to=in_reply_to,
                      references=[in_reply_to] if in_reply_to else None)
    accepted = accept(parse(mail.as_bytes()))
    drain_inbound()
    with session_scope() as session:
        message = session.get(Message, accepted.message_id)
        assert message.status == "done", f"message {message.id} {message.status}: {message.error}"
        return message.conversation_id, mail["Message-ID"]


def show(api, conversation_id: int, agent: str = "erin") -> dict:
    """The conversation as an agent sees it; by default the supervisor, who sees every pool."""
    base, auth = api
    response = httpx.get(f"{base}/api/conversations/{conversation_id}", headers=auth(agent))
    assert response.status_code == 200, response.text
    return response.json()


def when(value: str | None) -> datetime | None:
    """An API time ("...Z") as an aware datetime, so tests compare instants exactly."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))
