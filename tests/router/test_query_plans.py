"""The pool queue page, tick's fill and its inbound/outbound checks, and the claim are index
walks: over enough rows that a scan or a sort would show, EXPLAIN (FORMAT JSON) on
PostgreSQL and EXPLAIN QUERY PLAN on SQLite of the statements the real code runs name the
partial indexes and show no scan of message or conversation and no sort of a pool."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, select, text, update

from router.queue import tick
from router.queue.claims import claim
from router.sla.tick import due_query
from router.storage.db import get_engine, session_scope
from router.storage.models import Agent
from router.web.access import caller, pool_for
from router.web.routes.queues import pool_queue

NOW = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
OPEN, RESOLVED = 14_000, 14_000  # conversations, 2,000 open a pool; a done inbound and a sent outbound each
TABLES = ("conversation", "message")


def _sql(dialect: str) -> tuple[str, str, object]:
    """The row source 1..:n and a timestamp :n minutes after a fixed start, per database."""
    if dialect == "postgresql":
        return ("", "generate_series(1, :n) AS g(n)",
                lambda minutes: f"(TIMESTAMPTZ '2031-03-04 09:00+00' + ({minutes}) * INTERVAL '1 minute')")
    return ("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) ", "s AS g",
            lambda minutes: f"(strftime('%Y-%m-%d %H:%M:%S', '2031-03-04 09:00:00', '+' || ({minutes}) "
                            f"|| ' minutes') || '.000000')")


def _fill(engine) -> None:
    """Set-based: conversations spread over every pool (most resolved, one in 40 open ones
    without a deadline, due times shuffled against ids), each with a done inbound and a sent
    outbound message, plus a few messages in every live status."""
    recursive, series, at = _sql(engine.dialect.name)
    with engine.begin() as conn:
        customer = conn.execute(text("INSERT INTO customer (display_name, created_at) "
                                     "VALUES ('bulk', CURRENT_TIMESTAMP) RETURNING id")).scalar()
        conn.execute(text(recursive + f"""
            INSERT INTO conversation (customer_id, channel, subject, state, category, urgency, language,
                contains_secret, pool_id, created_at, updated_at, due_at, reasons)
            SELECT :customer, 'email', '', CASE WHEN g.n <= :open THEN 'open' ELSE 'resolved' END, 'general',
                'normal', 'zh', false, p.id, {at('g.n')}, {at('g.n')},
                CASE WHEN g.n % 40 = 0 THEN NULL ELSE {at('(g.n * 7919) % 20000')} END, '[]'
            FROM {series} JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM pool) p
                ON p.k = g.n % (SELECT count(*) FROM pool)"""),
                     {"customer": customer, "open": OPEN, "n": OPEN + RESOLVED})
        conn.execute(text(recursive + f"""
            INSERT INTO message (conversation_id, direction, channel, external_id, status, sender, sender_name,
                recipient, subject, text, secret_kinds, auto_submitted, automatic, in_reply_to, "references",
                parse_notes, created_at, claimed_at, attempts)
            SELECT c.id, CASE WHEN g.n % 2 = 0 THEN 'in' ELSE 'out' END, 'email', 'bulk-' || g.n,
                CASE WHEN g.n > 2 * :conversations THEN
                    CASE g.n % 4 WHEN 0 THEN 'pending' WHEN 1 THEN 'queued' WHEN 2 THEN 'processing' ELSE 'sending' END
                    WHEN g.n % 2 = 0 THEN 'done' ELSE 'sent' END,
                '', '', '', '', 'hello', '[]', false, false, '', '[]', '[]', {at('g.n / 4')}, {at('g.n / 4')}, 1
            FROM {series} JOIN conversation c ON c.id = 1 + g.n % :conversations"""),
                     {"conversations": OPEN + RESOLVED, "n": 2 * (OPEN + RESOLVED) + 40})
        conn.execute(text("ANALYZE"))


@pytest.fixture
def bulk(db_url, broker):
    engine = get_engine(db_url)
    _fill(engine)
    # Nobody speaks the bulk's language, so tick's fill reads page after page to the end.
    with session_scope() as session:
        session.execute(update(Agent).values(languages="en", open_count=0))
    return engine


@contextmanager
def _statements(engine):
    """The single-row statements the code runs meanwhile, with their parameters."""
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _pg_nodes(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _pg_nodes(child))]


def _sorted(plan: dict) -> str:
    """The tables a sort node sorts rows of (its subtree reads them), as ' sorts:a,b'."""
    if "Sort" not in plan["Node Type"]:
        return ""
    return " sorts:" + ",".join(sorted({n["Relation Name"] for n in _pg_nodes(plan) if "Relation Name" in n}))


def _plans(engine, statements) -> list[tuple[str, list[str]]]:
    """Each statement that reads message or conversation, with its plan as lines: node type,
    relation and index on PostgreSQL; EXPLAIN QUERY PLAN's details on SQLite."""
    found = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            if not any(t in statement for t in TABLES):
                continue
            if engine.dialect.name == "postgresql":
                plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
                plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
                lines = [" ".join(str(n.get(k, "")) for k in ("Node Type", "Relation Name", "Index Name"))
                         + (f" cond:{n['Index Cond']}" if "Index Cond" in n else "") + _sorted(n)
                         for n in _pg_nodes(plan)]
            else:
                lines = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            found.append((statement, lines))
    return found


def _walks_history(line: str) -> bool:
    """A plan line that reads message or conversation without seeking: a table scan, a
    whole-index walk, or the work index without its status (every done and sent row)."""
    if line.startswith(("Seq Scan message", "Seq Scan conversation", "SCAN message", "SCAN conversation")):
        return True
    if "Index Scan" in line and " cond:" not in line:  # PostgreSQL: an index walked end to end
        return True
    return "ix_message_work" in line and "status" not in line


def _assert_index_walks(found, indexes: set[str], *, unsorted: tuple[str, ...] = ("conversation",)) -> None:
    """No read of message or conversation that walks history, no sort of the `unsorted`
    tables' rows (a page's previews may sort the messages of its fifty conversations) and
    no temporary sort on SQLite, and each index named used."""
    assert found, "the code ran no statement on message or conversation"
    used = set()
    for statement, lines in found:
        where = f"{statement}\n" + "\n".join(lines)
        for line in lines:
            used.update(word for word in line.replace("(", " ").split() if word.startswith("ix_"))
            assert not _walks_history(line), where
            assert not any(t in line.partition(" sorts:")[2].split(",") for t in unsorted), where
            assert "TEMP B-TREE" not in line, where
    assert indexes <= used, f"{indexes - used} not used:\n" + "\n\n".join(
        f"{s}\n" + "\n".join(ls) for s, ls in found)


def _agent(name: str = "carol") -> Agent:
    with session_scope() as session:
        agent = session.execute(select(Agent).where(Agent.name == name)).scalars().one()
        session.expunge(agent)
        return agent


@pytest.mark.parametrize(("unassigned", "index"), [(False, "ix_conversation_pool_open"),
                                                   (True, "ix_conversation_pool_unassigned")])
def test_pool_queue_pages_walk_the_pools_partial_index(bulk, unassigned, index):
    pool = pool_for("general", caller(_agent()))  # carol's pool, as the route's access dependency gives it
    for offset in (0, 300):  # the first page and one deep in the pool
        with _statements(bulk) as seen:
            rows = pool_queue(pool, unassigned, 50, offset)
        assert len(rows) == 50
        _assert_index_walks(_plans(bulk, seen), {index})


def test_tick_checks_and_fill_walk_indexes(bulk):
    with _statements(bulk) as seen, time_machine.travel(NOW + timedelta(days=30), tick=False):
        done = tick.run()
    assert done.get("rerung_inbound") == 1 and done.get("rerung_outbound") == 1
    reads = [s for s in seen if "FROM conversation" in s[0] and "assignee_id IS NULL" in s[0]]
    assert len(reads) > 2, "the fill read several pages"
    # On SQLite each way a message can be due is its own search on (direction, status).
    _assert_index_walks(_plans(bulk, seen), {"ix_conversation_pool_unassigned", "ix_message_work"})


@pytest.mark.parametrize("direction", ["in", "out"])
def test_claim_reads_only_live_messages(bulk, direction):
    with _statements(bulk) as seen, session_scope() as session:
        ids = claim(session, direction, 100, NOW + timedelta(days=30), 60)
        session.rollback()
    assert ids, "there were live messages to claim"
    # PostgreSQL may also seek the work index on each status and sort those few rows.
    _assert_index_walks(_plans(bulk, seen), {"ix_message_live"} if "sqlite" in str(bulk.url) else set(),
                        unsorted=("conversation",))


def test_tick_finds_due_sla_alarms_with_one_walk_of_the_partial_index(bulk):
    """Every open conversation has an alarm ahead, a few of them due: the one query seeks
    ix_conversation_sla_check and reads none of the others."""
    with bulk.begin() as conn:
        conn.execute(text("UPDATE conversation SET sla_check_at = due_at WHERE state = 'open'"))
        conn.execute(text("ANALYZE"))
    with _statements(bulk) as seen, session_scope() as session:
        page = session.execute(due_query(NOW - timedelta(days=5, hours=12))).all()
        session.rollback()
    assert 0 < len(page) < OPEN / 10, "a few are due"
    _assert_index_walks(_plans(bulk, seen), {"ix_conversation_sla_check"})
