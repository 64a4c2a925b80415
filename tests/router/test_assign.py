"""Assignment: online, member, speaks the language, under capacity, fewest open first,
ties to the least recently assigned; claims are atomic across concurrent workers."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select, text, update

from router.clock import utcnow
from router.desk.assign import fill_queues, try_assign
from router.storage.db import get_engine, session_scope
from router.storage.models import Agent, Conversation, Customer, Pool


def _conversation(session, pool: str, language: str = "en") -> Conversation:
    customer = Customer(display_name="c")
    session.add(customer)
    session.flush()
    pool_id = session.execute(select(Pool.id).where(Pool.name == pool)).scalar_one()
    conversation = Conversation(customer_id=customer.id, channel="email", pool_id=pool_id,
                                language=language, reasons=[])
    session.add(conversation)
    session.flush()
    return conversation


def _set(name: str, **values) -> None:
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


def _assign_in_thread(conversation_id: int, results: dict, errors: list) -> None:
    """One worker: its own session (so its own connection) assigning one conversation."""
    try:
        with session_scope() as session:
            agent = try_assign(session, session.get(Conversation, conversation_id), utcnow())
            results[conversation_id] = agent.name if agent else None
    except Exception as exc:  # noqa: BLE001 - the main thread asserts there were none
        errors.append(exc)


def _waiting_on_locks(engine, at_least: int, timeout: float = 20.0) -> int:
    """Wait until `at_least` other sessions of this database wait on a lock; return the count."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND wait_event_type = 'Lock'")
    while True:
        with engine.connect() as conn:
            waiting = conn.execute(query).scalar_one()
        if waiting >= at_least or time.monotonic() > deadline:
            return waiting
        time.sleep(0.05)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_claims_never_exceed_capacity(db_url):
    # A real race: six workers assign at once while the test holds a row lock on both
    # agents, and all six wait on it; then the lock goes and they all proceed together.
    # Assignment reads the agents' loads with FOR UPDATE (router/desk/assign.py AgentLoads),
    # so each worker reads the load the previous one wrote and the agents stay within
    # capacity. Without that lock every worker would read both agents free, pick alice,
    # and write back the same load: six conversations on an agent of capacity two.
    _set("alice", capacity=2)
    _set("dan", capacity=1)
    with session_scope() as session:
        ids = [_conversation(session, "security").id for _ in range(6)]
    results, errors = {}, []
    engine = get_engine()
    with engine.connect() as blocker:
        blocker.execute(select(Agent.id).where(Agent.name.in_(("alice", "dan"))).with_for_update())
        threads = [threading.Thread(target=_assign_in_thread, args=(cid, results, errors)) for cid in ids]
        for t in threads:
            t.start()
        assert _waiting_on_locks(engine, len(ids)) == len(ids), "every worker read and reached its claim"
        blocker.commit()
    for t in threads:
        t.join(30)
    assert not errors, errors
    with session_scope() as session:
        agents = {a.name: a for a in session.execute(select(Agent)).scalars()}
        held = Counter(session.execute(select(Conversation.assignee_id).where(
            Conversation.assignee_id.is_not(None))).scalars())
    assert (agents["alice"].open_count, agents["dan"].open_count) == (2, 1)
    assert (held[agents["alice"].id], held[agents["dan"].id]) == (2, 1)
    assert sorted(name for name in results.values() if name) == ["alice", "alice", "dan"]
    assert list(results.values()).count(None) == 3, "the rest wait in the pool queue"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_serialises_read_and_claim(db_url):
    # On SQLite the race above cannot happen, and this is why: every write session opens
    # with BEGIN IMMEDIATE (router/storage/db.py), which takes the database's one write lock
    # before its first statement. A second worker therefore waits at BEGIN, before it
    # reads the candidate list, until the first commits; it then reads the first's claim.
    # (Were it to read first, its WAL snapshot would be stale by the time it could write,
    # and its claim would fail with SQLITE_BUSY_SNAPSHOT instead of returning None.)
    _set("alice", capacity=1)
    _set("dan", status="offline")
    with session_scope() as session:
        first_id, second_id = (_conversation(session, "security").id for _ in range(2))
    claimed, release = threading.Event(), threading.Event()
    results, errors = {}, []

    def first() -> None:
        with session_scope() as session:
            results[first_id] = try_assign(session, session.get(Conversation, first_id), utcnow()).name
            claimed.set()
            release.wait(30)        # holds its transaction open until the test lets go

    holder = threading.Thread(target=first)
    holder.start()
    assert claimed.wait(30)
    second = threading.Thread(target=_assign_in_thread, args=(second_id, results, errors))
    second.start()
    second.join(1.0)
    assert second.is_alive() and second_id not in results, "the second worker waits for the first"
    release.set()
    holder.join(30)
    second.join(30)
    assert not errors, errors
    assert results == {first_id: "alice", second_id: None}
    with session_scope() as session:
        alice = session.execute(select(Agent).where(Agent.name == "alice")).scalar_one()
    assert alice.open_count == 1
