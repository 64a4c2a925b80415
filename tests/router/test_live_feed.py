"""The live stream's reading of the event log (router/web/live_feed.py) against PostgreSQL,
where ids come from a sequence: a transaction that took an id commits after one that took
the next, and the reader that had gone past it still sends it."""
from __future__ import annotations

import pytest

from router.storage.db import read_scope, session_scope
from router.storage.events import record
from router.web.live_feed import Cursor, latest_event_id, read


def _read(cursor: Cursor, now: float = 0.0) -> list[tuple[str, str]]:
    with read_scope() as session:
        events, _ = read(session, cursor, now)
    return [(e.name, e.data["agent"]) for e in events]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_event_committed_after_a_later_id_is_still_read(db_url):
    with read_scope() as session:
        cursor = Cursor(latest_event_id(session))
    with session_scope() as slow:
        record(slow, "presence", actor="alice", data={"agent": "alice", "status": "away"})
        slow.flush()  # takes its id now, commits last
        with session_scope() as quick:
            record(quick, "presence", actor="bob", data={"agent": "bob", "status": "away"})
        assert _read(cursor) == [("presence", "bob")]
        assert cursor.holes, "the id still in flight is remembered"
    assert _read(cursor) == [("presence", "alice")]
    assert not cursor.holes
    assert _read(cursor) == []


def test_a_hole_is_given_up_after_a_while():
    cursor = Cursor(10)
    cursor.seen([13], now=0.0)
    assert (cursor.last, set(cursor.holes)) == (13, {11, 12})
    cursor.seen([11], now=30.0)
    assert set(cursor.holes) == {12}
    cursor.seen([], now=61.0)
    assert cursor.holes == {}
    cursor.seen([5_000], now=62.0)  # a jump of the sequence, not transactions in flight
    assert (cursor.last, cursor.holes) == (5_000, {})
