"""Internal notes: what agents write on a conversation for each other, never for the
customer. A note is an event (`kind = "note"`) in the conversation's log, not a message,
so nothing that sends to a channel can ever pick one up.

The text is redacted before it is written, as an agent's reply is: a colleague pasting
the customer's recovery phrase into a note stores `[REDACTED:mnemonic]`, never the words.
"""
from __future__ import annotations

from sqlmodel import Session

from router.secrets.redact import redact
from router.storage.events import record
from router.storage.models import Agent, Conversation, Event

KIND = "note"
MAX_CHARS = 10_000


class NoteRefused(ValueError):
    """The note cannot be kept as written; the message says why."""


def add_note(session: Session, conversation: Conversation, agent: Agent, text: str) -> Event:
    """Record the note, redacted, as `agent`; the caller commits. Notes are allowed on a
    resolved conversation too: what was learned after closing it belongs with it."""
    result = redact(text)
    cleaned = result.text.strip()
    if not cleaned:
        raise NoteRefused("a note needs some text")
    if len(cleaned) > MAX_CHARS:
        raise NoteRefused(f"a note holds at most {MAX_CHARS} characters")
    event = record(session, KIND, conversation_id=conversation.id, actor=agent.name,
                   data={"text": cleaned, "secret_kinds": list(result.kinds)})
    session.flush()  # the id, for the answer
    return event
