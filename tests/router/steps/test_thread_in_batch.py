"""Threading inside one batch: a message that continues an earlier message of the same
batch joins the conversation that message has (one stored, named by its number) or the one
it opens (named by that message), and its reason says which; on a channel with a standing
session (chat) the customer's messages of one batch make one conversation."""
from __future__ import annotations

from channels.chat import to_inbound
from channels.chat.frames import ClientMessage
from channels.email import parse
from pipeline_support import conversation, event_kinds, inbound_row, ingest, outbound_of
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.queue.pipeline import FIND_STEPS
from support import make_email


def _thread_reasons(conversation_id: int, message_id: int) -> list[str]:
    return [r["reason"] for r in conversation(conversation_id).reasons
            if r["step"] == "thread" and r["message_id"] == message_id]


def test_a_reply_to_a_mail_of_the_same_batch_joins_the_case_it_opens(db_url, broker):
    first = make_email(sender="ann@example.com", subject="Withdrawal missing",
                       text="My withdrawal of 200 USDT has not arrived.")
    a = accept(parse(first.as_bytes()))
    b = accept(parse(make_email(sender="ann@example.com", subject="Re: Withdrawal missing",
                                text="Forgot to say: it was sent on Monday.", in_reply_to=first["Message-ID"],
                                references=[first["Message-ID"]]).as_bytes()))
    drain_inbound()  # one batch
    case = inbound_row(a.message_id).conversation_id
    assert case is not None and inbound_row(b.message_id).conversation_id == case
    assert _thread_reasons(case, b.message_id) == [f"threaded into the case of message {a.message_id} by references"]
    # Threading settled it: no later step (the same sender writing again, `repeat`) had to.
    assert [r["step"] for r in conversation(case).reasons if r["message_id"] == b.message_id
            and r["step"] in FIND_STEPS] == ["thread"]
    assert event_kinds(case).count("received") == 2  # once each


def test_a_reply_to_a_mail_of_the_batch_that_threads_joins_that_conversation(db_url, broker):
    stored = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                               text="My withdrawal of 200 USDT has not arrived."))
    case = stored.conversation_id
    [ack] = outbound_of(case)
    answer = make_email(sender="ann@example.com", subject="Re: " + ack.subject, text="Here is the TXID: 0xabc.",
                        in_reply_to=ack.external_id, references=[ack.external_id])
    a = accept(parse(answer.as_bytes()))
    b = accept(parse(make_email(sender="ann@example.com", subject="Re: " + ack.subject,
                                text="And the amount was 200 USDT.", in_reply_to=answer["Message-ID"],
                                references=[ack.external_id, answer["Message-ID"]]).as_bytes()))
    drain_inbound()  # one batch: the second answers the first, which answers our mail
    assert inbound_row(a.message_id).conversation_id == case
    assert inbound_row(b.message_id).conversation_id == case
    assert _thread_reasons(case, b.message_id) == [f"threaded into #{case} by references"]


def _chat(text: str, client_id: str) -> int:
    return accept(to_inbound(ClientMessage(text=text, client_id=client_id), customer="visitor-7")).message_id


def test_chat_messages_of_one_batch_make_one_conversation_and_later_ones_continue_it(db_url, broker):
    first = _chat("Hello, my deposit is missing.", "c1")
    second = _chat("It was 0.5 ETH.", "c2")
    drain_inbound()  # one batch
    case = inbound_row(first).conversation_id
    assert case is not None and inbound_row(second).conversation_id == case
    assert _thread_reasons(case, second) == [f"continues the open chat conversation the case of message {first}"]

    third = _chat("Any news?", "c3")
    drain_inbound()
    assert inbound_row(third).conversation_id == case
    assert _thread_reasons(case, third) == [f"continues the open chat conversation #{case}"]


def test_a_chat_message_in_the_batch_does_not_hide_a_mails_reference(db_url, broker):
    """A batch holding both a chat message (whose customer's open chats are looked up) and a
    reply by mail (whose References are): each finds its own conversation."""
    case = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                             text="My withdrawal of 200 USDT has not arrived."))
    [ack] = outbound_of(case.conversation_id)
    accept(to_inbound(ClientMessage(text="Hello, is anyone there?", client_id="c-1"), "cust-9"))
    reply = accept(parse(make_email(sender="ann@example.com", subject="Re: Withdrawal missing",
                                    text="It was sent on Monday.", in_reply_to=ack.external_id,
                                    references=[ack.external_id]).as_bytes()))
    drain_inbound()  # one batch
    assert inbound_row(reply.message_id).conversation_id == case.conversation_id
    assert _thread_reasons(case.conversation_id, reply.message_id) == [
        f"threaded into #{case.conversation_id} by references"]
