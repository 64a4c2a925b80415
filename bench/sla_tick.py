"""tick's SLA cost against the number of open conversations: a fresh PostgreSQL database is
filled set-based (INSERT ... SELECT generate_series) with N open conversations, every one
with an SLA alarm ahead (as on a real desk), and D of them due now (a first-reply warning);
then one tick (`router.queue.tick.run`, agents offline so the queue fill has nothing to do) is
timed. Each figure is the fastest of a few ticks, the due alarms reset between them. The
cost should follow D, not N: the due query walks the partial index on `sla_check_at`.

    .venv/bin/python bench/sla_tick.py            # 10k, 100k and 1M open; 0, 100 and 10,000 due
    .venv/bin/python bench/sla_tick.py --quick    # 10k and 200k open, 100 due; last line `growth: X`

`growth: X` is the tick time at the larger open count over the time at the smaller one
(100 due); it must stay at or below 2. Prints figures only: a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from stack import PG_ADMIN  # noqa: E402

NOW = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)
REPEATS = 5


def _fill_to(engine, have: int, want: int) -> None:
    """Open conversations have+1..want in the tech pool (24 h first reply, calendar time):
    opened an hour before NOW, first-reply warning ahead (19.2 h after opening)."""
    from sqlalchemy import text

    with engine.begin() as conn:
        customer = conn.execute(text("SELECT min(id) FROM customer")).scalar()
        pool = conn.execute(text("SELECT id FROM pool WHERE name = 'tech'")).scalar()
        conn.execute(text("""
            INSERT INTO conversation (customer_id, channel, subject, state, category, urgency, language,
                contains_secret, pool_id, created_at, updated_at, first_reply_due_at, resolution_due_at,
                due_at, sla_check_at, pauses, reasons)
            SELECT :customer, 'email', '', 'open', 'technical', 'normal', 'en', false, :pool,
                :now - INTERVAL '1 hour', :now, :now + INTERVAL '23 hours', :now + INTERVAL '167 hours',
                :now + INTERVAL '23 hours', :now + INTERVAL '18.2 hours', '[]', '[]'
            FROM generate_series(CAST(:first AS integer), CAST(:last AS integer))"""),
                     {"customer": customer, "pool": pool, "now": NOW, "first": have + 1, "last": want})
        conn.execute(text("ANALYZE conversation"))


def _make_due(engine, open_count: int, due: int) -> None:
    """Reset every alarm, then make `due` conversations, spread over the table, owe a
    first-reply warning now (opened 20 h ago: the warning fell due 48 minutes ago)."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM event WHERE kind LIKE 'sla.%'"))
        conn.execute(text("DELETE FROM sla_alarm"))
        conn.execute(text("UPDATE conversation SET sla_check_at = :later, created_at = :now - INTERVAL '1 hour', "
                          "first_reply_due_at = :now + INTERVAL '23 hours' WHERE sla_check_at IS DISTINCT FROM :later"),
                     {"now": NOW, "later": NOW.replace(hour=6, day=5)})
        if due:
            step = max(open_count // due, 1)
            conn.execute(text("""
                UPDATE conversation SET created_at = :now - INTERVAL '20 hours',
                    first_reply_due_at = :now + INTERVAL '4 hours', sla_check_at = :now - INTERVAL '48 minutes'
                WHERE id IN (SELECT id FROM conversation WHERE id % :step = 0 ORDER BY id LIMIT :due)"""),
                         {"now": NOW, "step": step, "due": due})


def _time_tick(engine, open_count: int, due: int) -> tuple[float, int]:
    """The fastest of REPEATS ticks over the same due set, and the warnings one tick recorded."""
    import time_machine

    from router.queue import tick

    times, warned = [], 0
    for _ in range(REPEATS):
        _make_due(engine, open_count, due)
        with time_machine.travel(NOW, tick=False):
            start = time.perf_counter()
            done = tick.run(engine)
            times.append(time.perf_counter() - start)
        warned = done.get("sla_warnings", 0)
    return min(times), warned


def run(opens: list[int], dues: list[int]) -> dict[tuple[int, int], float]:
    import psycopg

    name = f"msgrouter_bench_sla_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    os.environ.update(MSGROUTER_DATABASE_URL=url, MSGROUTER_BROKER_URL="memory://", MSGROUTER_LOG_LEVEL="ERROR")
    try:
        return _measure(url, opens, dues)
    finally:
        from router.storage.db import get_engine

        get_engine(url).dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(url: str, opens: list[int], dues: list[int]) -> dict[tuple[int, int], float]:
    from sqlalchemy import text

    from config.desk import get_desk
    from router.desk.desk_sync import sync_desk
    from router.storage.db import get_engine, session_scope
    from router.storage.migrate import upgrade

    upgrade(url)
    engine = get_engine(url)
    with session_scope(engine) as session:
        sync_desk(session, get_desk())
        session.execute(text("UPDATE agent SET status = 'offline'"))  # the fill has nothing to do
        session.execute(text("INSERT INTO customer (display_name, created_at) VALUES ('bench', now())"))
    results, have = {}, 0
    for open_count in opens:
        started = time.perf_counter()
        _fill_to(engine, have, open_count)
        have = open_count
        print(f"  {open_count:>9,} open conversations (filled in {time.perf_counter() - started:.1f} s)", flush=True)
        for due in dues:
            seconds, warned = _time_tick(engine, open_count, due)
            results[open_count, due] = seconds
            print(f"  {open_count:>9,} open {due:>7,} due: one tick {seconds * 1000:9.1f} ms"
                  f"   ({warned:,} warnings recorded)", flush=True)
            if warned != due:
                sys.exit(f"bench/sla_tick.py: {warned} warnings for {due} due")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 200k open, 100 due; ends with `growth: X`")
    args = parser.parse_args()
    opens, dues = ([10_000, 200_000], [100]) if args.quick else ([10_000, 100_000, 1_000_000], [0, 100, 10_000])
    print(f"tick's SLA cost, PostgreSQL, fastest of {REPEATS} ticks (load average {os.getloadavg()[0]:.1f}; "
          f"the machine may be shared)", flush=True)
    results = run(opens, dues)
    small, large = opens[0], opens[-1]
    for due in dues:
        print(f"  {due:>7,} due: {large:,} open / {small:,} open = "
              f"{results[large, due] / results[small, due]:.2f}")
    print(f"median tick {statistics.median(results.values()) * 1000:.1f} ms")
    print(f"growth: {results[large, 100] / results[small, 100]:.2f}")


if __name__ == "__main__":
    main()
