"""A pool's queue page on PostgreSQL before and after the partial queue indexes (migration
0004), at 10k and 100k open conversations in the pool (and as many resolved), and tick's
fill read of the unassigned queue: printed, not asserted, through the ORM as the app runs
them and the database's own execution time. A fresh database is made for
each size and dropped afterwards; the statements are the ones the web app and tick run.

    .venv/bin/python bench/queues.py [--sizes 10000 100000] [--repeat 30]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy import select, text
from sqlmodel import Session

from config.desk import get_desk
from router.desk.assign import _waiting_page
from router.desk.desk_sync import sync_desk
from router.storage.db import get_engine
from router.storage.migrate import alembic_config, upgrade
from router.storage.models import Conversation, Pool
from router.web.routes.queues import _open_ordered

PG_ADMIN = os.environ.get("MSGROUTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def fill(engine, open_n: int) -> None:
    """One pool holds `open_n` open conversations (one in 40 without a deadline, due times
    shuffled against ids, one in 4 assigned) and as many resolved; set-based."""
    with engine.begin() as conn:
        customer = conn.execute(text("INSERT INTO customer (display_name, created_at) "
                                     "VALUES ('bulk', now()) RETURNING id")).scalar()
        pool = conn.execute(text("SELECT id FROM pool WHERE name = 'general'")).scalar()
        agent = conn.execute(text("SELECT min(id) FROM agent")).scalar()
        conn.execute(text("""
            INSERT INTO conversation (customer_id, channel, subject, state, category, urgency, language,
                contains_secret, pool_id, assignee_id, created_at, updated_at, due_at, reasons)
            SELECT :customer, 'email', '', CASE WHEN n <= :open THEN 'open' ELSE 'resolved' END, 'general',
                'normal', 'en', false, :pool, CASE WHEN n % 4 = 0 THEN :agent END, now(), now(),
                CASE WHEN n % 40 = 0 THEN NULL
                     ELSE TIMESTAMPTZ '2031-03-04 09:00+00' + ((n * 7919) % :span) * INTERVAL '1 minute' END, '[]'
            FROM generate_series(1, 2 * :open) AS n"""),
                     {"customer": customer, "open": open_n, "pool": pool, "agent": agent, "span": 2 * open_n + 1})
        conn.execute(text("ANALYZE"))


def _ms(session: Session, statement, repeat: int) -> tuple[float, float]:
    """Median ms through the ORM as the app runs it, and median of the database's own
    execution time (EXPLAIN ANALYZE) for the same SQL."""
    sql = str(statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    wall, database = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        session.execute(statement).all()
        wall.append((time.perf_counter() - start) * 1000)
        plan = session.connection().exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql).scalar()
        database.append(plan[0]["Execution Time"])
    return statistics.median(wall), statistics.median(database)


def measure(url: str, repeat: int) -> dict[str, tuple[float, float]]:
    with Session(get_engine(url)) as session:
        pool = session.execute(select(Pool.id).where(Pool.name == "general")).scalar()
        page = _open_ordered(select(Conversation).where(Conversation.pool_id == pool))
        return {"page 1": _ms(session, page.limit(50), repeat),
                "page at offset 5000": _ms(session, page.limit(50).offset(5000), repeat),
                "fill read (500 unassigned)": _ms(session, _waiting_page([pool], None, True), repeat)}


def run(open_n: int, repeat: int) -> None:
    from alembic import command

    name = f"msgrouter_bench_queues_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url, "0003")  # the schema before the partial indexes
        with Session(get_engine(url)) as session:
            sync_desk(session, get_desk())
            session.commit()
        fill(get_engine(url), open_n)
        before = measure(url, repeat)
        # New connections: psycopg prepares a statement run five times, and the plans
        # prepared before the indexes existed would be measured instead.
        get_engine(url).dispose()
        command.upgrade(alembic_config(url), "head")
        with get_engine(url).begin() as conn:
            conn.execute(text("ANALYZE"))
        after = measure(url, repeat)
        for what, (wall, database) in before.items():
            print(f"{open_n:>7} open  {what:<27} before {wall:7.2f} ms ({database:6.2f} in the database)"
                  f"   after {after[what][0]:7.2f} ms ({after[what][1]:6.2f} in the database)")
    finally:
        get_engine(url).dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="open conversations")
    parser.add_argument("--repeat", type=int, default=30, help="runs per statement (median shown)")
    args = parser.parse_args()
    for size in args.sizes:
        run(size, args.repeat)


if __name__ == "__main__":
    main()
