"""A planted mnemonic, private key and password never reach the database, the log, a
queue payload or an API response, and the customer is told to move their funds."""
from __future__ import annotations

import io
import logging
import secrets
import smtplib

import httpx
from mnemonic import Mnemonic
from sqlalchemy import select, text
from sqlmodel import SQLModel

from router import logs
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.storage.db import get_engine, session_scope
from router.storage.models import Conversation, Message
from support import make_email


def _everything_stored() -> str:
    chunks = []
    with get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            chunks.extend(repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table.name}")))
    return "\n".join(chunks)


def _leaks(blob: str, phrase: str, key_hex: str, password: str) -> list[str]:
    words = phrase.split()
    found = [f"words {i}-{i + 2}" for i in range(len(words) - 2) if " ".join(words[i:i + 3]) in blob]
    return found + [s for s in (key_hex, key_hex.upper(), password) if s in blob]


def test_planted_secrets_never_rest(smtp_port, sink, api, broker):
    phrase = Mnemonic("english").generate(strength=128)
    key_hex = secrets.token_hex(32)
    password = "Pw-" + secrets.token_urlsafe(9)
    body = (f"Hi, I think I was scammed. Someone asked for my seed phrase and I gave it:\n{phrase}\n"
            f"My private key is 0x{key_hex}\nand my password is {password}\nPlease help!")
    captured = io.StringIO()
    handler = logs.configure("DEBUG", stream=captured)
    try:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(make_email(sender="victim@example.com", subject="Scammed", text=body))
        queued = b"".join(broker.lrange("msgrouter", 0, -1))  # the doorbell tasks, before any worker
        drain_inbound()
        deliver_pending()
        base, auth = api
        with session_scope() as session:
            conversation = session.execute(select(Conversation)).scalars().one()
        detail = httpx.get(f"{base}/api/conversations/{conversation.id}", headers=auth()).text
        queue = httpx.get(f"{base}/api/pools/security/queue", headers=auth()).text
        logging.getLogger("test").info("customer wrote: %s", body)  # even a careless log call
    finally:
        logging.getLogger().removeHandler(handler)

    assert queued, "the doorbell rang"
    for where, blob in (("database", _everything_stored()), ("log", captured.getvalue()),
                        ("queue", queued.decode("utf-8", "replace")), ("API", detail + queue),
                        ("outgoing mail", "\n".join(m.as_string() for m in sink.parsed()))):
        assert _leaks(blob, phrase, key_hex, password) == [], f"secret reached the {where}"

    assert conversation.category == "security" and conversation.urgency == "critical"
    assert conversation.contains_secret
    with session_scope() as session:
        stored = session.execute(select(Message).where(Message.direction == "in")).scalars().one()
    assert set(stored.secret_kinds) >= {"mnemonic", "private_key", "password"}
    assert "[REDACTED:mnemonic]" in stored.text
    ack = sink.parsed()[0].get_content()
    assert "new wallet" in ack.lower()
