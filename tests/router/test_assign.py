"""Assignment: online, member, speaks the language, under capacity, fewest open first,
ties to the least recently assigned; claims are atomic across concurrent workers."""
from __future__ import annotations

import threading

from sqlalchemy import select, update

from router.assign import fill_queues, try_assign
from router.clock import utcnow
from router.db import session_scope
from router.models import Agent, Conversation, Customer, Pool


def _conversation(session, pool: str, language: str = "en") -> Conversation:  # noqa: ANN001
    customer = Customer(display_name="c")
    session.add(customer)
    session.flush()
    pool_id = session.execute(select(Pool.id).where(Pool.name == pool)).scalar_one()
    conversation = Conversation(customer_id=customer.id, channel="email", pool_id=pool_id,
                                language=language, reasons=[])
    session.add(conversation)
    session.flush()
    return conversation


def _set(name: str, **values) -> None:  # noqa: ANN003
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == name).values(**values))


def test_language_and_membership_decide(db_url):
    # accounts pool: bob speaks zh only, carol en only.
    with session_scope() as session:
        zh = try_assign(session, _conversation(session, "accounts", "zh"), utcnow())
        en = try_assign(session, _conversation(session, "accounts", "en"), utcnow())
    assert (zh.name, en.name) == ("bob", "carol")


def test_fewest_open_then_least_recently_assigned(db_url):
    # security pool: alice and dan (both zh+en). Equal load: the one assigned longer ago wins.
    with session_scope() as session:
        first = try_assign(session, _conversation(session, "security"), utcnow()).name
        second = try_assign(session, _conversation(session, "security"), utcnow()).name
        third = try_assign(session, _conversation(session, "security"), utcnow()).name
    assert first != second, "the second goes to the agent with fewer open conversations"
    assert third == first, "equal load: the one assigned least recently"


def test_offline_or_full_agents_are_skipped_and_the_conversation_waits(db_url):
    _set("alice", status="offline")
    _set("dan", capacity=1)
    with session_scope() as session:
        assert try_assign(session, _conversation(session, "security"), utcnow()).name == "dan"
        waiting = _conversation(session, "security")
        assert try_assign(session, waiting, utcnow()) is None
        waiting_id = waiting.id
    _set("alice", status="online")
    with session_scope() as session:
        assert fill_queues(session, utcnow()) >= 1
        assert session.get(Conversation, waiting_id).assignee_id is not None


def test_concurrent_claims_never_exceed_capacity(db_url):
    _set("alice", capacity=5)
    _set("dan", capacity=5)
    with session_scope() as session:
        ids = [_conversation(session, "security").id for _ in range(40)]
    barrier = threading.Barrier(4)

    def assign_some(chunk: list[int]) -> None:
        barrier.wait()
        for cid in chunk:
            with session_scope() as session:
                try_assign(session, session.get(Conversation, cid), utcnow())

    threads = [threading.Thread(target=assign_some, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with session_scope() as session:
        agents = {a.name: a for a in session.execute(select(Agent)).scalars()}
        assigned = session.execute(select(Conversation.assignee_id).where(
            Conversation.assignee_id.is_not(None))).scalars().all()
    assert agents["alice"].open_count == 5 and agents["dan"].open_count == 5
    assert len(assigned) == 10
    assert sorted(assigned).count(agents["alice"].id) == 5
