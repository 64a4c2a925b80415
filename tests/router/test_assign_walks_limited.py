"""A fill's page of waiting work is the same however the database is asked for it. On
PostgreSQL each pool's walk carries its own ORDER BY and LIMIT (`limited`, for the
planner's sake); SQLite merges plain walks. Both must give the earliest-due conversations
first, undated ones last, ties by id, resuming exactly past the last row read; here both
shapes run on both databases, so a walk that orders or limits wrongly shows on either."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from router.desk.assign import QUEUE_FILL_LIMIT, _waiting_page
from router.storage.db import session_scope
from router.storage.models import Conversation, Customer, Pool

T0 = datetime(2031, 5, 6, 8, 0, tzinfo=UTC)
LONG = QUEUE_FILL_LIMIT + 120  # a pool queue longer than a page


def _queue() -> tuple[list[int], list[tuple[int, datetime | None, int]]]:
    """Two pools' waiting work: the first pool's deadlines run backwards against the ids (the
    newest rows are due first, so a walk by id alone reads the wrong ones), in pairs that
    share a deadline, then an undated tail; the second pool's shorter queue was written
    first and shares deadlines with the first's, so only the id orders those ties.
    Returns the two pools' ids and every row's (pool_id, due_at, id)."""
    with session_scope() as session:
        first, second = session.execute(select(Pool.id).order_by(Pool.id).limit(2)).scalars()
        customer = Customer(display_name="c")
        session.add(customer)
        session.flush()
        rows = [(second, T0 + timedelta(minutes=i * 7)) for i in range(40)]
        rows += [(first, T0 + timedelta(minutes=(LONG - i) // 2)) for i in range(LONG)]
        rows += [(first, None) for _ in range(30)] + [(second, None) for _ in range(5)]
        session.execute(insert(Conversation), [
            {"customer_id": customer.id, "channel": "email", "pool_id": pool, "language": "en",
             "due_at": due, "reasons": []} for pool, due in rows])
        stored = session.execute(select(Conversation.pool_id, Conversation.due_at, Conversation.id)).all()
    return [first, second], [(pool, _utc(due), cid) for pool, due, cid in stored]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _queue_order(row: tuple[datetime | None, int]) -> tuple:
    due, cid = row
    return (due is None, due or T0, cid)


def _expected(rows: list, pools: list[int], after: tuple[datetime | None, int] | None) -> list[int]:
    ordered = sorted(((due, cid) for pool, due, cid in rows if pool in pools), key=_queue_order)
    if after is not None:
        ordered = [r for r in ordered if _queue_order(r) > _queue_order(after)]
    return [cid for _, cid in ordered[:QUEUE_FILL_LIMIT]]


def _page(pools: list[int], after, limited: bool) -> list[int]:
    with session_scope() as session:
        return [c.id for c in session.execute(_waiting_page(pools, after, limited)).scalars()]


@pytest.mark.parametrize("limited", [True, False], ids=["walks-ordered-and-limited", "plain-walks"])
def test_every_page_is_the_queue_in_order_whichever_shape_reads_it(db_url, limited):
    pools, rows = _queue()
    first = _page(pools, None, limited)
    assert first == _expected(rows, pools, None)
    due_of = {cid: due for _, due, cid in rows}
    # Resume in the dated part, exactly past the last row of the first page.
    after = (due_of[first[-1]], first[-1])
    assert _page(pools, after, limited) == _expected(rows, pools, after)
    # Resume inside the undated tail.
    undated = sorted(cid for _, due, cid in rows if due is None)
    assert _page(pools, (None, undated[9]), limited) == undated[10:]
    # One pool alone: the other's work never appears.
    assert _page(pools[1:], None, limited) == _expected(rows, pools[1:], None)
