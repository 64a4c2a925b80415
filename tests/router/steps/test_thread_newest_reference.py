"""A reply whose references name mail of several of the customer's conversations joins
the conversation of the newest message it names, in whatever order the headers list them:
that is the thread the customer answered last. The older thread is named by the customer's
own later mail in it (a References header lists the whole thread), so its message is newer
than the newer conversation's number: messages are compared with messages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline_support import conversation, ingest, later, outbound_of
from support import make_email


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_the_newest_referenced_message_decides(db_url, broker, order):
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    more = make_email(sender="ann@example.com", subject="Withdrawal missing", text="It was sent on Monday.")
    older = ingest(more).conversation_id  # joins her case (same sender, within the window)
    assert older == first.conversation_id
    with later(timedelta(days=1)):  # past the same-sender window: a case of its own
        second = ingest(make_email(sender="ann@example.com", subject="Card declined",
                                   text="My card is declined when I buy BTC."))
        newer = second.conversation_id
        [newer_ack] = outbound_of(newer)
        refs = [more["Message-ID"], newer_ack.external_id]
        if order == "newest first":
            refs.reverse()
        reply = ingest(make_email(sender="ann@example.com", subject="Re: both", text="Any news on these two?",
                                  in_reply_to=refs[-1], references=refs))
    assert older != newer
    assert reply.conversation_id == newer
    thread = [r["reason"] for r in conversation(newer).reasons
              if r["step"] == "thread" and r["message_id"] == reply.id]
    assert thread == [f"threaded into #{newer} by references"]
