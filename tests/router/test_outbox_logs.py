"""Delivery under the logging a worker runs with (every `msgrouter` command calls
`logs.configure` at the configured level, INFO by default; here as JSON): a batch with a
mail sent, one refused for good and one to retry is delivered and logged without an error,
and each line about a mail that was not sent carries that mail's `message_id` and
`conversation_id` as fields, as the README's "Logs and metrics" promises for every line
about a message. And, as tests/test_quiet_logs.py holds the pipeline to one line per event
(issue 22), a batch is one line saying how many of how many were delivered, and each mail
not sent one more, with its status and the start of its error; nothing else, no warning."""
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

LONG_REFUSAL = "550 5.1.1 no such user here: " + "the mailbox was closed by its owner and will not come back; " * 5


class RefusingRelay:
    """Takes every mail but refuses RCPT for unknown@ (550, for good, with a long text as some
    relays give) and busy@ (451, later)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("unknown@"):
            return LONG_REFUSAL
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


def _one_sent_one_failed_one_retried(monkeypatch) -> dict[str, Message]:
    """Three acknowledgements delivered in one batch: ann's sent, unknown's refused for good,
    busy's to retry; the rows by recipient."""
    with RefusingRelay() as relay:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        for sender in ("ann@example.com", "unknown@example.com", "busy@example.com"):
            accept(email_channel.parse(make_email(sender=sender, text="Hello, what are the fees?").as_bytes()))
        drain_inbound()
        assert deliver_pending() == 1
    with session_scope() as session:
        rows = {m.recipient: m for m in session.execute(select(Message).where(Message.direction == "out")).scalars()}
        session.expunge_all()
    assert {r: m.status for r, m in rows.items()} == {
        "ann@example.com": "sent", "unknown@example.com": "failed", "busy@example.com": "queued"}
    return rows


def test_lines_about_mail_not_sent_carry_its_ids(json_log, db_url, broker, monkeypatch):
    rows = {r: (m.status, m.id, m.conversation_id) for r, m in _one_sent_one_failed_one_retried(monkeypatch).items()}
    about_mail = [line for line in json_log() if line["logger"] == "router.delivery.outbox" and "message_id" in line]
    assert sorted((line["message_id"], line["conversation_id"]) for line in about_mail) == sorted(
        (mid, cid) for recipient, (_, mid, cid) in rows.items() if recipient != "ann@example.com")


def test_a_batch_is_one_line_and_each_mail_not_sent_one_more(db_url, broker, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="router.delivery.outbox")
    rows = _one_sent_one_failed_one_retried(monkeypatch)
    unknown, busy = rows["unknown@example.com"], rows["busy@example.com"]
    assert len(unknown.error) > 200 and "550" in unknown.error and "451" in busy.error
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "router.delivery.outbox"]
    assert said == [
        ("INFO", "delivered 1 of 3 outbound messages"),
        ("INFO", f"message {unknown.id} not sent (failed): {unknown.error[:200]}"),
        ("INFO", f"message {busy.id} not sent (queued): {busy.error}"),
    ]
