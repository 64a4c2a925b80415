"""tick's fill reads the queues a page at a time, earliest deadline first: when a pool fills
up and drops out between pages, the next page goes on where the last ended, so work of
the other pools beyond the first page is still reached."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from router.desk.assign import QUEUE_FILL_LIMIT, fill_queues
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Customer, Pool

T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def test_a_pool_dropping_out_between_pages_skips_none_of_the_others_work(db_url):
    with session_scope() as session:
        # Only alice (supervisors, room for one) and carol (tech, English only) are free.
        session.execute(update(Agent).values(status="offline", open_count=0))
        session.execute(update(Agent).where(Agent.name == "alice").values(status="online", capacity=1))
        session.execute(update(Agent).where(Agent.name == "carol").values(status="online", capacity=5))
        pools = dict(session.execute(select(Pool.name, Pool.id)).all())
        customer = Customer(display_name="c")
        session.add(customer)
        session.flush()
        # The first page: supervisors' work and Chinese tech work nobody free can take,
        # interleaved by deadline; the one English tech conversation is due after all of it.
        waiting = [(pools["supervisors"] if i % 2 else pools["tech"], "en" if i % 2 else "zh", i)
                   for i in range(QUEUE_FILL_LIMIT + 50)]
        waiting.append((pools["tech"], "en", QUEUE_FILL_LIMIT + 50))
        session.add_all([Conversation(customer_id=customer.id, channel="email", pool_id=pool_id, language=language,
                                      due_at=T0 + timedelta(minutes=minutes), reasons=[])
                         for pool_id, language, minutes in waiting])
    with session_scope() as session:
        assert fill_queues(session, T0) == 2
    with session_scope() as session:
        assigned = session.execute(select(Agent.name, Conversation.language, Conversation.due_at)
                                   .join(Agent, Agent.id == Conversation.assignee_id)
                                   .order_by(Conversation.due_at)).all()
    assert [(name, language) for name, language, _ in assigned] == [("alice", "en"), ("carol", "en")]
    assert assigned[0].due_at == T0 + timedelta(minutes=1), "alice got the earliest supervisors work"
    assert assigned[1].due_at == T0 + timedelta(minutes=QUEUE_FILL_LIMIT + 50)
