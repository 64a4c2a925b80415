"""tick's fill reads the pool queues a page at a time, earliest deadline first (undated work
last), and each page starts exactly where the last one ended, in the dated part and in the
undated tail alike: nothing is read twice (so nobody is assigned the same conversation
twice) and nothing is skipped. Only pools with someone free are read, and a pool whose
agents fill up drops out of the reading, so a long queue of either kind never crowds out
another pool's work (tests/router/test_queue_fill.py has the short case of this); the
agents' loads are written however the fill ends."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from router.desk.assign import QUEUE_FILL_LIMIT, QUEUE_FILL_PAGES, fill_queues
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Customer, Event, Pool

T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def _only_free(**capacities: int) -> None:
    """Everyone offline but these agents, online with these capacities and nothing open."""
    with session_scope() as session:
        session.execute(update(Agent).values(status="offline", open_count=0))
        for name, capacity in capacities.items():
            session.execute(update(Agent).where(Agent.name == name).values(status="online", capacity=capacity))


def _waiting(rows: list[tuple[str, str, datetime | None]]) -> list[int]:
    """Unassigned open conversations (pool, language, due_at), inserted in this order; their ids."""
    with session_scope() as session:
        pools = dict(session.execute(select(Pool.name, Pool.id)).all())
        customer = Customer(display_name="c")
        session.add(customer)
        session.flush()
        session.execute(insert(Conversation), [
            {"customer_id": customer.id, "channel": "email", "pool_id": pools[pool], "language": language,
             "due_at": due, "reasons": []} for pool, language, due in rows])
        return list(session.execute(select(Conversation.id).order_by(Conversation.id)).scalars())


def _assigned() -> dict[int, str]:
    with session_scope() as session:
        return dict(session.execute(select(Conversation.id, Agent.name)
                                    .join(Agent, Agent.id == Conversation.assignee_id)).all())


def _assigned_events() -> Counter:
    with session_scope() as session:
        return Counter(session.execute(select(Event.conversation_id).where(Event.kind == "assigned")).scalars())


def test_each_page_starts_where_the_last_ended_dated_and_undated(db_url):
    # tech: carol (English only) is the one free; Chinese work waits for bob, who is offline.
    # Dated work first, then undated; the English conversations sit at the last row of the
    # first page, past it in the dated part, at the last row of the second page (in the
    # undated tail) and past that.
    _only_free(carol=10)
    dated = [T0 + timedelta(minutes=i) for i in range(QUEUE_FILL_LIMIT + 100)]
    rows = [("tech", "zh", due) for due in dated] + [("tech", "zh", None)] * (QUEUE_FILL_LIMIT + 100)
    english = [QUEUE_FILL_LIMIT - 1, QUEUE_FILL_LIMIT + 99, 2 * QUEUE_FILL_LIMIT - 1, 2 * QUEUE_FILL_LIMIT + 50]
    for index in english:
        rows[index] = ("tech", "en", rows[index][2])
    ids = _waiting(rows)
    with session_scope() as session:
        assert fill_queues(session, T0) == len(english)
    assert _assigned() == {ids[i]: "carol" for i in english}
    assert _assigned_events() == Counter({ids[i]: 1 for i in english}), "one assignment each"
    with session_scope() as session:
        assert session.execute(select(Agent.open_count).where(Agent.name == "carol")).scalar_one() == len(english)


def test_a_full_pools_long_queue_never_crowds_out_another_pools_work(db_url):
    # supervisors: alice has room for one; more than a fill's pages of their work waits,
    # all of it due before tech's one English conversation, which carol can take.
    _only_free(alice=1, carol=5)
    backlog = QUEUE_FILL_LIMIT * QUEUE_FILL_PAGES + 10
    rows = [("supervisors", "en", T0 + timedelta(seconds=i)) for i in range(backlog)]
    rows.append(("tech", "en", T0 + timedelta(seconds=backlog)))
    ids = _waiting(rows)
    with session_scope() as session:
        assert fill_queues(session, T0) == 2
    assert _assigned() == {ids[0]: "alice", ids[-1]: "carol"}


def test_a_pool_where_nobody_is_free_is_never_read(db_url):
    # triage: erin, its one member, takes nothing automatically (capacity 0); more than a
    # fill's pages of its work is due before tech's English conversation, which carol can take.
    _only_free(carol=5, erin=0)
    backlog = QUEUE_FILL_LIMIT * QUEUE_FILL_PAGES + 10
    rows = [("triage", "en", T0 + timedelta(seconds=i)) for i in range(backlog)]
    rows.append(("tech", "en", T0 + timedelta(seconds=backlog)))
    ids = _waiting(rows)
    with session_scope() as session:
        assert fill_queues(session, T0) == 1
    assert _assigned() == {ids[-1]: "carol"}


def test_every_page_of_a_fill_is_spent_on_pools_where_someone_is_free(db_url):
    # triage (erin takes nothing automatically) has a page of work due first; tech has
    # nine pages of Chinese work that carol, English only, cannot take, then one English
    # conversation: the last row of the fill's tenth and last page, reached only if no
    # page went to triage.
    _only_free(carol=5, erin=0)
    rows = [("triage", "en", T0 + timedelta(seconds=i)) for i in range(QUEUE_FILL_LIMIT)]
    chinese = QUEUE_FILL_LIMIT * (QUEUE_FILL_PAGES - 1) + QUEUE_FILL_LIMIT - 1
    rows += [("tech", "zh", T0 + timedelta(hours=1, seconds=i)) for i in range(chinese)]
    rows.append(("tech", "en", T0 + timedelta(hours=3)))
    ids = _waiting(rows)
    with session_scope() as session:
        assert fill_queues(session, T0) == 1
    assert _assigned() == {ids[-1]: "carol"}


def test_a_fill_that_fills_everyone_on_its_first_page_still_records_their_load(db_url):
    # alice, the only one free, has room for one; a full page of supervisors' work waits.
    _only_free(alice=1)
    ids = _waiting([("supervisors", "en", T0 + timedelta(seconds=i)) for i in range(QUEUE_FILL_LIMIT + 10)])
    with session_scope() as session:
        assert fill_queues(session, T0) == 1
    assert _assigned() == {ids[0]: "alice"}
    with session_scope() as session:
        assert session.execute(select(Agent.open_count).where(Agent.name == "alice")).scalar_one() == 1


def test_the_queue_goes_by_deadline_then_id_and_holds_only_open_unassigned_work(db_url):
    # carol (tech, English) is the one free. The first conversation in, due last; then more
    # than a page of Chinese work all due at the same instant, with one English conversation
    # among it past the first page; and English work due first that is not waiting: one
    # resolved, one dan already has.
    _only_free(carol=10, dan=10)
    same = T0 + timedelta(hours=1)
    rows = [("tech", "en", T0 + timedelta(hours=2))] + [("tech", "zh", same)] * (QUEUE_FILL_LIMIT + 10)
    rows[QUEUE_FILL_LIMIT + 5] = ("tech", "en", same)
    rows += [("tech", "en", T0), ("tech", "en", T0)]
    ids = _waiting(rows)
    resolved, held = ids[-2:]
    with session_scope() as session:
        dan = session.execute(select(Agent.id).where(Agent.name == "dan")).scalar_one()
        session.execute(update(Conversation).where(Conversation.id == resolved).values(state="resolved"))
        session.execute(update(Conversation).where(Conversation.id == held).values(assignee_id=dan))
    with session_scope() as session:
        assert fill_queues(session, T0) == 2
    assert _assigned() == {ids[QUEUE_FILL_LIMIT + 5]: "carol", ids[0]: "carol", held: "dan"}
    assert _assigned_events() == Counter({ids[QUEUE_FILL_LIMIT + 5]: 1, ids[0]: 1})
