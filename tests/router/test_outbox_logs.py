"""Delivery under the logging a worker runs with (every `msgrouter` command calls
`logs.configure` at the configured level, INFO by default; here as JSON): a batch with a
mail sent, one refused for good and one to retry is delivered and logged without an error,
and each line about a mail that was not sent carries that mail's `message_id` and
`conversation_id` as fields, as the README's "Logs and metrics" promises for every line
about a message."""
from __future__ import annotations

import io
import json
import logging

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from channels import email as email_channel
from conftest import reset_caches
from router import logs
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import free_port, make_email


class RefusingRelay:
    """Takes every mail but refuses RCPT for unknown@ (550, for good) and busy@ (451, later)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("unknown@"):
            return "550 5.1.1 no such user here"
        if address.startswith("busy@"):
            return "451 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return "250 OK"

    def __enter__(self) -> RefusingRelay:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


@pytest.fixture
def json_log():
    """The root logger as a worker configures it, writing JSON into a buffer."""
    buffer, root = io.StringIO(), logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("INFO", stream=buffer, fmt="json")

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_lines_about_mail_not_sent_carry_its_ids(json_log, db_url, broker, monkeypatch):
    with RefusingRelay() as relay:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        for sender in ("ann@example.com", "unknown@example.com", "busy@example.com"):
            accept(email_channel.parse(make_email(sender=sender, text="Hello, what are the fees?").as_bytes()))
        drain_inbound()
        assert deliver_pending() == 1
    with session_scope() as session:
        rows = {m.recipient: (m.status, m.id, m.conversation_id) for m in session.execute(
            select(Message).where(Message.direction == "out")).scalars()}
    assert {r: s for r, (s, _, _) in rows.items()} == {
        "ann@example.com": "sent", "unknown@example.com": "failed", "busy@example.com": "queued"}
    about_mail = [line for line in json_log() if line["logger"] == "router.delivery.outbox" and "message_id" in line]
    assert sorted((line["message_id"], line["conversation_id"]) for line in about_mail) == sorted(
        (mid, cid) for recipient, (_, mid, cid) in rows.items() if recipient != "ann@example.com")
