"""On a channel with a standing session (chat) a message continues its own customer's open
conversation there: never another customer's, whether they write in one batch or not, and
not one that was resolved (the next message opens a new case)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from channels.chat import to_inbound
from channels.chat.frames import ClientMessage
from channels.email import parse
from pipeline_support import conversation
from router.desk import conversations as actions
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Message
from support import make_email

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _chat(customer: str, text: str) -> int:
    return accept(to_inbound(ClientMessage(text=text, client_id=None), customer=customer)).message_id


def _case_of(message_id: int) -> int:
    with session_scope() as session:
        message = session.get(Message, message_id)
        assert message.status == "done", message.error
        return message.conversation_id


def test_customers_writing_in_one_batch_each_get_their_own_case(db_url, broker):
    first = {who: _chat(who, f"Hello from {who}: my deposit is missing.") for who in ("visitor-1", "visitor-2")}
    second = {who: _chat(who, f"{who} again: it was 0.5 ETH.") for who in ("visitor-1", "visitor-2")}
    drain_inbound()  # one batch: 1, 2, 1, 2
    cases = {who: _case_of(first[who]) for who in first}
    assert cases["visitor-1"] != cases["visitor-2"]
    assert {who: _case_of(second[who]) for who in second} == cases


def test_each_customer_continues_their_own_open_case(db_url, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    cases = {}
    for who in ("visitor-1", "visitor-2"):  # one case each, the second with the higher number
        message = _chat(who, f"Hello from {who}: my deposit is missing.")
        drain_inbound()
        cases[who] = _case_of(message)
    # Past the same-sender window: only the chat session joins them now.
    time_machine.move_to(T0 + timedelta(hours=3), tick=False)
    later = {who: _chat(who, f"{who} again: any news?") for who in ("visitor-2", "visitor-1")}
    drain_inbound()  # one batch: each finds the open cases of both customers
    assert {who: _case_of(later[who]) for who in later} == cases
    for who, case in cases.items():
        assert [r["reason"] for r in conversation(case).reasons
                if r["step"] == "thread" and r["message_id"] == later[who]] == \
            [f"continues the open chat conversation #{case}"]


def test_a_message_after_the_resolve_opens_a_new_case(db_url, broker):
    first = _chat("visitor-1", "Hello, my deposit is missing.")
    drain_inbound()
    case = _case_of(first)
    _resolve(case)
    again = _chat("visitor-1", "Another question: how do I change my email?")
    drain_inbound()
    assert _case_of(again) not in (None, case)
    assert conversation(case).state == "resolved"


def _resolve(case: int) -> None:
    with session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        actions.resolve(session, session.get(Conversation, case), alice)


def test_a_resolved_case_another_message_of_the_batch_names_is_not_continued(db_url, broker):
    """A stranger's mail quoting the resolved chat case's number, drained in one batch
    with that chat customer's new message: the case is looked at for the mail (and
    refused), and the chat message still opens a new case."""
    first = _chat("visitor-1", "Hello, my deposit is missing.")
    drain_inbound()
    case = _case_of(first)
    _resolve(case)
    accept(parse(make_email(sender="mallory@example.com", subject=f"Re: [#{case}] deposit",
                            text="Please send me the details of this case.").as_bytes()))
    again = _chat("visitor-1", "Another question: how do I change my email?")
    drain_inbound()  # one batch: the mail, then the chat message
    assert _case_of(again) not in (None, case)
    assert conversation(case).state == "resolved"


def test_of_two_open_chat_cases_the_next_message_continues_the_newest(db_url, broker):
    """Two workers draining a customer's first messages at once can each open a case; the
    customer's next message continues the newest of them."""
    first = _chat("visitor-1", "Hello, my deposit is missing.")
    drain_inbound()
    older = _case_of(first)
    with session_scope() as session:  # what the other worker opened at the same time
        was = session.get(Conversation, older)
        row = Conversation(customer_id=was.customer_id, channel="chat", pool_id=was.pool_id,
                           language=was.language, state="open", created_at=was.created_at)
        session.add(row)
        session.flush()
        newer = row.id
    assert newer > older
    again = _chat("visitor-1", "Any news?")
    drain_inbound()
    assert _case_of(again) == newer
    assert [r["reason"] for r in conversation(newer).reasons if r["message_id"] == again and r["step"] == "thread"] \
        == [f"continues the open chat conversation #{newer}"]
