"""SQLite's write lock keeps account of who holds it: per writer (intake, or the task a
thread works for), the turns taken, the seconds waited for them and the seconds held, and
/metrics shows them. Embedded, that lock is the ceiling of the desk's throughput
(bench/throughput.py prints each writer's share of it)."""
from __future__ import annotations

import threading
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from router import metrics
from router.storage.db import _writer_queues, get_engine, session_scope, sqlite_write_turn, write_turns, writing_as
from router.storage.models import Pool
from support import wait_for


@pytest.fixture
def sqlite_engine(db_url):
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's writer queue")
    return engine


def _grown(before: dict, writer: str) -> tuple[int, float, float]:
    now = write_turns().get(writer, (0, 0.0, 0.0))
    then = before.get(writer, (0, 0.0, 0.0))
    return now[0] - then[0], now[1] - then[1], now[2] - then[2]


def test_each_turn_is_counted_for_the_writer_the_thread_works_for(sqlite_engine):
    before = write_turns()
    with writing_as("drain"), session_scope() as session:   # through SQLAlchemy's begin
        session.add(Pool(name="vip"))
        session.flush()                                    # the write transaction begins
        time.sleep(0.05)
    with writing_as("deliver"), sqlite_write_turn(sqlite_engine):   # a driver-level turn
        pass
    with sqlite_write_turn(sqlite_engine, intake=True):            # intake names itself
        pass
    with session_scope() as session:                                # nobody named: other
        session.add(Pool(name="vip2"))

    drain_turns, _, drain_held = _grown(before, "drain")
    assert drain_turns == 1 and drain_held >= 0.05
    assert _grown(before, "deliver")[0] == 1
    assert _grown(before, "intake")[0] == 1
    assert _grown(before, "other")[0] == 1
    with writing_as("drain"):
        pass
    assert _grown(before, "drain")[0] == 1                         # no turn, no count


def test_the_wait_for_a_turn_is_counted_for_the_waiter(sqlite_engine):
    queue = _writer_queues[sqlite_engine]
    release = threading.Event()
    before = write_turns()

    def holder() -> None:
        with writing_as("tick"), sqlite_write_turn(sqlite_engine):
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    wait_for(lambda: queue._holder is not None, what="the holder's turn")
    threading.Timer(0.2, release.set).start()
    with writing_as("drain"), sqlite_write_turn(sqlite_engine):
        pass
    thread.join()
    turns, waited, _ = _grown(before, "drain")
    assert turns == 1 and waited >= 0.15
    assert _grown(before, "tick")[2] >= 0.15                       # held while the drain waited


def test_metrics_show_the_turns_waits_and_holds_per_writer(sqlite_engine):
    with writing_as("drain"), sqlite_write_turn(sqlite_engine):
        pass
    body, _ = metrics.exposition()
    samples = {(s.name, s.labels.get("writer")): s.value
               for family in text_string_to_metric_families(body.decode()) for s in family.samples}
    turns, waited, held = write_turns()["drain"]
    assert samples[("msgrouter_sqlite_write_turns_total", "drain")] == turns >= 1
    assert samples[("msgrouter_sqlite_write_wait_seconds_total", "drain")] == pytest.approx(waited)
    assert samples[("msgrouter_sqlite_write_held_seconds_total", "drain")] == pytest.approx(held)
