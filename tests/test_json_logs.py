"""MSGROUTER_LOG_FORMAT=json: one JSON object per line, redacted like the text format,
each line about a message or a conversation carrying its id as a field."""
from __future__ import annotations

import io
import json
import logging
import secrets

import httpx
import pytest
from mnemonic import Mnemonic
from sqlalchemy import func, select

from channels.base import Inbound
from conftest import reset_caches
from router import logs
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.models import Conversation
from support import free_port, serve_app


@pytest.fixture
def json_log():
    """The root logger writing JSON into a buffer; the lines, parsed, on demand."""
    buffer, root = io.StringIO(), logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("INFO", stream=buffer, fmt="json")

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


def _secrets() -> tuple[str, str]:
    return Mnemonic("english").generate(strength=128), secrets.token_hex(32)


def test_a_planted_secret_never_reaches_a_json_line(json_log, db_url, broker, sink):
    phrase, key_hex = _secrets()
    log = logging.getLogger("tests.json")
    log.warning("customer wrote: %s", phrase, extra={"quoted": f"private key: {key_hex}", "message_id": 7})
    try:
        raise ValueError(f"could not parse {phrase}")
    except ValueError:
        log.exception("a failure quoting the customer")
    accept(Inbound(channel="email", external_id="<json-secret@x>", sender="s@example.com",
                   subject=f"my seed {phrase}", text=f"My seed phrase is {phrase}\nprivate key: {key_hex}"))
    drain_inbound()
    deliver_pending()
    lines = json_log()
    blob = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    words = phrase.split()
    assert not [i for i in range(len(words) - 2) if " ".join(words[i:i + 3]) in blob], blob
    assert key_hex not in blob
    first = lines[0]
    assert first["level"] == "WARNING" and first["logger"] == "tests.json" and first["message_id"] == 7
    assert "[REDACTED:" in first["message"] and "[REDACTED:" in first["quoted"]
    assert {"time", "level", "logger", "message"} <= set(first)


def test_lines_about_a_message_carry_its_ids(json_log, db_url, broker, sink):
    accept(Inbound(channel="email", external_id="<json-ids@x>", sender="w@example.com",
                   subject="Withdrawal", text="My withdrawal has not arrived."))
    drain_inbound()
    by_text = {line["message"].split(" (")[0]: line for line in json_log()}
    accepted = next(line for text, line in by_text.items() if text.startswith("accepted email message"))
    message_id = accepted["message_id"]
    assert accepted["message"].startswith(f"accepted email message {message_id}")
    routed = next(line for text, line in by_text.items() if " routed to pool " in text)
    acknowledged = next(line for text, line in by_text.items() if " acknowledged in " in text)
    for line in (routed, acknowledged):
        assert line["message_id"] == message_id
        assert isinstance(line["conversation_id"], int)
    assert routed["conversation_id"] == acknowledged["conversation_id"]


def test_a_line_logged_during_an_api_request_carries_its_conversation(json_log, db_url, broker, monkeypatch):
    from router.web.app import create_app

    accept(Inbound(channel="email", external_id="<json-web@x>", sender="r@example.com",
                   subject="Help", text="The app crashes when I open it."))
    drain_inbound()
    # Redis for doorbells out of reach: the reply is stored, and the request logs that the
    # doorbell was not rung; that line names the conversation the request was about.
    monkeypatch.setenv("MSGROUTER_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    reset_caches()
    from router.desk.tokens import issue_token
    from router.storage.db import session_scope

    with session_scope() as session:
        token = issue_token(session, "erin", actor="test")  # the supervisor: any pool's case
        cid = session.execute(select(func.max(Conversation.id))).scalar_one()
    with serve_app(create_app()) as base:
        reply = httpx.post(f"{base}/api/conversations/{cid}/reply", json={"text": "We are on it."},
                           headers={"Authorization": f"Bearer {token}"}, timeout=20)
    assert reply.status_code == 201, reply.text
    rung = [line for line in json_log() if line["message"].startswith("doorbell outbound not rung")]
    assert rung and all(line["conversation_id"] == cid for line in rung), rung


def test_the_text_format_stays_the_default(json_log):
    from config.settings import Settings

    assert Settings().log_format == "text"
    buffer = io.StringIO()
    logs.configure("INFO", stream=buffer)
    logging.getLogger("tests.text").info("plain %s", "line", extra=logs.log_extra(message_id=3))
    assert buffer.getvalue().rstrip().endswith(" INFO tests.text: plain line")
