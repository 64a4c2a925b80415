"""Presence (issue 20): an agent who is away or offline gets no new assignment, by any
path (the pipeline's assign step in a real worker, tick's queue fill, a reopened case
going back to its agent); they keep the work they have; coming back online fills their
pools' queues at once. On both databases."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from channels.email import parse
from customer_mail import write_in
from router.desk.conversations import resolve
from router.desk.presence import set_presence
from router.queue import tick
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event, Message
from support import make_email, wait_for

# Pool transactions: alice (zh, en) and bob (zh only), so a case in Chinese may go to either.
WITHDRAWAL = "我昨天提现的 500 USDT 到现在还没有到账。"


def _agent(name: str) -> Agent:
    with session_scope() as session:
        return session.execute(select(Agent).where(Agent.name == name)).scalar_one()


def _presence(name: str, status: str) -> int:
    with session_scope() as session:
        return set_presence(session, _agent(name).id, status, actor=name).assigned


def _conversation(cid: int) -> Conversation:
    with session_scope() as session:
        return session.get(Conversation, cid)


def _assignee(cid: int) -> str | None:
    with session_scope() as session:
        return session.execute(select(Agent.name).join(Conversation, Conversation.assignee_id == Agent.id)
                               .where(Conversation.id == cid)).scalar()


def _withdrawal() -> int:
    cid, _ = write_in(WITHDRAWAL, sender=f"wei-{uuid.uuid4().hex[:8]}@example.com", subject="提现未到账")
    return cid


def test_the_worker_assigns_no_away_agent_and_coming_online_fills_the_queue(db_url, worker):
    _presence("alice", "away")
    _presence("bob", "offline")
    mail = make_email(sender="wei@example.com", subject="提现未到账", text=WITHDRAWAL)
    accepted = accept(parse(mail.as_bytes()))  # rings the doorbell: the worker drains it

    def done() -> int | None:
        with session_scope() as session:
            message = session.get(Message, accepted.message_id)
            return message.conversation_id if message.status == "done" else None

    cid = wait_for(done, what="the worker to run the pipeline")
    waiting = _conversation(cid)
    assert waiting.assignee_id is None
    assert any("waiting in the pool queue" in r.get("reason", "") for r in waiting.reasons), waiting.reasons

    assert _presence("bob", "online") == 1
    assert _assignee(cid) == "bob"
    with session_scope() as session:
        events = [(e.kind, e.data) for e in session.execute(select(Event).order_by(Event.id)).scalars()
                  if e.kind == "presence"]
    assert events[-1] == ("presence", {"agent": "bob", "status": "online", "before": "offline"})
    assert _agent("bob").open_count == 1


def test_tick_fills_no_away_agent_and_going_away_keeps_the_work(db_url):
    kept = _withdrawal()
    holder = _assignee(kept)
    assert holder in ("alice", "bob")
    _presence("alice", "away")
    _presence("bob", "away")
    queued = _withdrawal()
    assert _assignee(queued) is None
    tick.run()
    assert _assignee(queued) is None, "tick gave work to an away agent"
    assert _assignee(kept) == holder, "going away took the agent's work from them"

    # Online again without the presence action (a desk-file edit, a script): tick fills.
    with session_scope() as session:
        session.get(Agent, _agent("alice").id).status = "online"
    tick.run()
    assert _assignee(queued) == "alice"


def test_the_same_presence_again_records_nothing(db_url):
    _presence("carol", "away")
    _presence("carol", "away")
    with session_scope() as session:
        kinds = [e.data for e in session.execute(select(Event).where(Event.kind == "presence")).scalars()]
    assert kinds == [{"agent": "carol", "status": "away", "before": "online"}]


def test_a_reopened_case_does_not_go_back_to_an_away_agent(db_url):
    _presence("bob", "offline")
    cid, _ = write_in(WITHDRAWAL, sender="back@example.com", subject="提现未到账")
    assert _assignee(cid) == "alice"
    alice = _agent("alice").id
    with session_scope() as session:
        resolve(session, session.get(Conversation, cid), session.get(Agent, alice))
    _presence("alice", "away")
    _presence("bob", "online")
    again, _ = write_in("还是没有到账，请再查一下。", sender="back@example.com",
                        subject=f"Re: 提现未到账 [#{cid}]")
    assert again == cid and _conversation(cid).state != "resolved"
    assert _assignee(cid) == "bob", "the reopened case went to an away agent, or waited while bob was free"
