"""Machine-written mail says why it stops where it stops: the reason on the dashboard names
the sign that gave it away, and the log line about it carries the message's id and, when it
joins a conversation, the conversation's (README, "Logs and metrics": a line about a
message carries its ids as fields). A delivery report that gives up on nobody (a delay
notice) is not a bounce: no address is looked at, nothing is said about marking."""
from __future__ import annotations

import io
import json
import logging

import pytest

from channels.email import parse
from pipeline_support import conversation, inbound_row, ingest, outbound_of
from router import logs
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from support import make_email, new_message_id


@pytest.fixture
def json_lines():
    """The root logger writing JSON lines into a buffer; the automatic step's lines, parsed."""
    buffer, root = io.StringIO(), logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("INFO", stream=buffer, fmt="json")
    yield lambda: [line for line in map(json.loads, buffer.getvalue().splitlines())
                   if line["logger"] == "router.steps.automatic"]
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _automatic_reasons(conversation_id: int, message_id: int) -> list[str]:
    return [r["reason"] for r in conversation(conversation_id).reasons
            if r["step"] == "automatic" and r["message_id"] == message_id]


def test_parked_list_mail_names_its_sign_and_logs_its_id(db_url, broker, json_lines):
    digest = ingest(make_email(sender="news@example.com", subject="Weekly digest", text="Your weekly digest.",
                               headers={"Precedence": "bulk"}))
    assert _automatic_reasons(digest.conversation_id, digest.id) == [
        "stopped: automatic mail (Precedence: bulk): stored, not assigned, no deadline, not answered"]
    [line] = json_lines()
    assert line["message_id"] == digest.id and "conversation_id" not in line, "parked only after this step"
    assert line["message"] == f"message {digest.id} is automatic mail (Precedence: bulk): parked, not worked on"


def test_an_auto_reply_that_threads_logs_its_conversation(db_url, broker, json_lines):
    first = ingest(make_email(sender="wei@example.com", subject="Fee question", text="What is the fee for BTC?"))
    [ack] = outbound_of(first.conversation_id)
    away = ingest(make_email(sender="wei@example.com", subject="Out of office", text="I am away until Monday.",
                             in_reply_to=ack.external_id, references=[ack.external_id],
                             headers={"Auto-Submitted": "auto-replied"}))
    assert away.conversation_id == first.conversation_id
    [line] = json_lines()
    assert (line["message_id"], line["conversation_id"]) == (away.id, first.conversation_id)
    assert line["message"] == (f"message {away.id} is automatic mail (Auto-Submitted: auto-replied): "
                               f"attached to conversation {first.conversation_id}, not worked on")


def _delay_notice(original_message_id: str, recipient: str) -> bytes:
    return ("From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
            "To: support@pinecone.example\r\nSubject: Delayed Mail (still being retried)\r\n"
            f"Message-ID: {new_message_id()}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
            "--R\r\nContent-Type: text/plain\r\n\r\nYour mail has not been delivered yet; we keep trying.\r\n\r\n"
            "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: delayed\r\nStatus: 4.4.7\r\n\r\n"
            "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"From: support@pinecone.example\r\nMessage-ID: {original_message_id}\r\n\r\n--R--\r\n").encode()


def test_a_delay_notice_is_not_a_bounce(db_url, broker):
    first = ingest(make_email(sender="bob@example.com", text="What is the fee for sending BTC?"))
    [ack] = outbound_of(first.conversation_id)
    notice = accept(parse(_delay_notice(ack.external_id, "bob@example.com")))
    drain_inbound()
    parked = inbound_row(notice.message_id).conversation_id
    assert conversation(parked).state == "parked"
    assert [r for r in _automatic_reasons(parked, notice.message_id) if not r.startswith("stopped:")] == []


def test_an_auto_reply_to_a_mail_of_its_batch_logs_the_case_it_joins(db_url, broker, json_lines):
    question = make_email(sender="wei@example.com", subject="Fee question", text="What is the fee for BTC?")
    first = accept(parse(question.as_bytes()))
    away = accept(parse(make_email(sender="wei@example.com", subject="Out of office", text="I am away.",
                                   in_reply_to=question["Message-ID"], references=[question["Message-ID"]],
                                   headers={"Auto-Submitted": "auto-replied"}).as_bytes()))
    drain_inbound()  # one batch: the auto-reply follows the question into the case it opens
    assert inbound_row(away.message_id).conversation_id == inbound_row(first.message_id).conversation_id
    [line] = json_lines()
    assert line["message"] == (f"message {away.message_id} is automatic mail (Auto-Submitted: auto-replied): "
                               f"joins the case of message {first.message_id}, not worked on")
