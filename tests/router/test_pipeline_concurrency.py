"""A batch writes its conversations back whole, so an agent's change to one of them made
while the batch runs must not be lost: the batch holds the conversations it read until
it commits, and the agent's change lands after it (PostgreSQL; on SQLite the batch's
write transaction excludes every other writer from its start)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text, update

import channels.email as email_channel
from customer_mail import write_in
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import get_engine, session_scope
from router.storage.models import Agent, Conversation
from support import make_email, wait_for


def _waiting_on_locks(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_agents_change_made_while_a_batch_runs_is_not_overwritten(db_url, broker):
    conversation_id, mail_id = write_in("My withdrawal of 200 USDT has not arrived.", sender="mia@example.com")
    with session_scope() as session:
        dan = session.execute(select(Agent.id).where(Agent.name == "dan")).scalar_one()
    # The customer writes again; the batch that takes it in will stop at assignment,
    # where the test holds the agents' rows, after it has read the conversation.
    follow_up = make_email(sender="mia@example.com", subject="Re: Help", text="Any news?",
                           in_reply_to=mail_id, references=[mail_id])
    accept(email_channel.parse(follow_up.as_bytes()))
    engine = get_engine()
    errors: list[BaseException] = []

    def run(work) -> threading.Thread:
        def guarded() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - the main thread asserts there were none
                errors.append(exc)
        thread = threading.Thread(target=guarded)
        thread.start()
        return thread

    def agent_reassigns() -> None:  # as an agent's action would, in its own transaction
        with session_scope() as session:
            session.execute(update(Conversation).where(Conversation.id == conversation_id)
                            .values(assignee_id=dan))

    with engine.connect() as holder:
        holder.execute(select(Agent.id).with_for_update())
        batch = run(drain_inbound)
        wait_for(lambda: _waiting_on_locks(engine) >= 1, what="the batch to wait at assignment")
        agent = run(agent_reassigns)
        agent.join(2)
        holder.commit()
    batch.join(30)
    agent.join(30)
    assert not errors, errors
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation.assignee_id == dan, "the agent's change survived the batch"
        assert conversation.last_inbound_at is not None
