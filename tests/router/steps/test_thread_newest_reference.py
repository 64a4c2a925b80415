"""A reply whose references name mail of several of the customer's conversations joins
the conversation of the newest message it names, in whatever order the headers list them:
that is the thread the customer answered last."""
from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline_support import conversation, ingest, later, outbound_of
from support import make_email


def _case(subject: str, text: str) -> tuple[int, str]:
    """A case of Ann's and the Message-ID of our acknowledgement of it."""
    message = ingest(make_email(sender="ann@example.com", subject=subject, text=text))
    [ack] = outbound_of(message.conversation_id)
    return message.conversation_id, ack.external_id


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_the_newest_referenced_message_decides(db_url, broker, order):
    older, older_ack = _case("Withdrawal missing", "My withdrawal of 200 USDT has not arrived.")
    with later(timedelta(days=1)):  # past the same-sender window: a case of its own
        newer, newer_ack = _case("Card declined", "My card is declined when I buy BTC.")
        refs = [older_ack, newer_ack] if order == "oldest first" else [newer_ack, older_ack]
        reply = ingest(make_email(sender="ann@example.com", subject="Re: both", text="Any news on these two?",
                                  in_reply_to=refs[-1], references=refs))
    assert older != newer
    assert reply.conversation_id == newer
    thread = [r["reason"] for r in conversation(newer).reasons
              if r["step"] == "thread" and r["message_id"] == reply.id]
    assert thread == [f"threaded into #{newer} by references"]
