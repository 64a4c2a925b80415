"""Reopen: a customer's message threaded into a resolved conversation reopens it inside
the reopen window and opens a new case after it. Threading is by References to our
acknowledgement's Message-ID or by the [#id] subject token; resolving through the API
or router.desk.conversations."""
from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import select

from pipeline_support import (
    conversation,
    conversation_count,
    delivered,
    event_kinds,
    ingest,
    later,
)
from router.desk import conversations as actions
from router.steps.thread import REOPEN_WINDOW
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation
from support import make_email


def _case_and_its_ack(sink) -> tuple[int, EmailMessage]:
    first = ingest(make_email(sender="eve@example.com", subject="Swap failed",
                              text="My swap from USDT to ETH failed but the fee was taken."))
    [ack] = delivered(sink, "eve@example.com")
    return first.conversation_id, ack


def _reply(ack: EmailMessage, how: str) -> EmailMessage:
    text = "The swap failed again today, same error as last week."
    if how == "references":  # a mail client answering our acknowledgement
        return make_email(sender="eve@example.com", subject="Re: swap", text=text,
                          in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]])
    token = ack["Subject"][ack["Subject"].index("[#"):]  # a new mail quoting the case number
    return make_email(sender="eve@example.com", subject=f"Swap failed again {token}", text=text)


def _resolve_directly(conversation_id: int) -> None:
    with session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.resolve(session, session.get(Conversation, conversation_id), alice)


def _assert_reopened(conversation_id: int, reply_conversation_id: int | None) -> None:
    assert reply_conversation_id == conversation_id
    assert conversation(conversation_id).state == "open"
    assert conversation(conversation_id).resolved_at is None
    assert event_kinds(conversation_id).count("reopened") == 1
    assert conversation_count() == 1


def test_a_reply_after_resolving_through_the_api_reopens_the_conversation(db_url, broker, sink, api):
    base, auth = api
    conversation_id, ack = _case_and_its_ack(sink)
    resolved = httpx.post(f"{base}/api/conversations/{conversation_id}/resolve", headers=auth("alice"))
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    # Resolved through the API, answered at once; the window's edges are pinned below.
    _assert_reopened(conversation_id, ingest(_reply(ack, "references")).conversation_id)


@pytest.mark.parametrize("how", ["references", "subject token"])
def test_a_message_just_inside_the_window_reopens_the_resolved_conversation(db_url, broker, sink, how):
    conversation_id, ack = _case_and_its_ack(sink)
    _resolve_directly(conversation_id)
    assert conversation(conversation_id).state == "resolved"
    with later(REOPEN_WINDOW - timedelta(hours=1)):
        reply = ingest(_reply(ack, how))
    _assert_reopened(conversation_id, reply.conversation_id)


@pytest.mark.parametrize("how", ["references", "subject token"])
def test_a_message_after_the_window_opens_a_new_conversation(db_url, broker, sink, how):
    conversation_id, ack = _case_and_its_ack(sink)
    _resolve_directly(conversation_id)

    with later(REOPEN_WINDOW + timedelta(hours=1)):
        reply = ingest(_reply(ack, how))
        mails = delivered(sink, "eve@example.com")
    assert reply.conversation_id not in (None, conversation_id)
    assert conversation(conversation_id).state == "resolved"
    assert "reopened" not in event_kinds(conversation_id)
    assert conversation(reply.conversation_id).state == "open"
    assert conversation_count() == 2
    # A new case: it gets its own acknowledgement with its own number.
    assert len(mails) == 2 and f"[#{reply.conversation_id}]" in mails[1]["Subject"]
