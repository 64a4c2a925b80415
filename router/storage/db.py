"""Engines and sessions: one engine per database URL, SQLite tuned for concurrent use."""
from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlmodel import Session

from config.settings import get_settings


def on_postgresql(session: Session) -> bool:
    """Whether the session talks to PostgreSQL (SKIP LOCKED, its own ON CONFLICT)."""
    return session.get_bind().dialect.name == "postgresql"


# Who is writing, for the write lock's accounting: the task or door a thread works for
# ("drain", "deliver", "tick", ...). Intake says so itself; anything unnamed is "other".
WRITER: ContextVar[str] = ContextVar("msgrouter_writer", default="other")


@contextmanager
def writing_as(role: str) -> Iterator[None]:
    """Account this thread's write turns to `role` until the block ends."""
    token = WRITER.set(role)
    try:
        yield
    finally:
        WRITER.reset(token)


class _WriterQueue:
    """SQLite's write lock, queued in this process: one writer at a time, in arrival order,
    intake's group commits ahead of everyone else. Without it, waiting writers poll in
    SQLite's busy handler (sleeps of up to 100 ms) and a newcomer can take the lock before
    a writer that has waited for seconds; with it, the lock passes on at once. A writer of
    another process still waits in busy_timeout; a wait here longer than that goes on to
    SQLite regardless, so a lost release can slow writers down but never stop them.

    It also keeps account, per writer, of the turns taken, the seconds waited for them and
    the seconds held (`turns()`; `/metrics` shows them): embedded, the lock is the ceiling
    of the whole desk's throughput, and this says who holds it."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._cond = threading.Condition()
        self._holder: int | None = None  # the thread in a write transaction
        self._tickets = itertools.count()
        self._waiting: set[tuple[int, int]] = set()  # (0 for intake, else 1; ticket)
        self._held_since = 0.0
        self._held_by = ""
        self._turns: dict[str, list[float]] = {}  # writer -> [turns, seconds waited, seconds held]

    def acquire(self, first: bool) -> bool:
        """Wait for our turn; False when this thread already writes (SQLite decides)."""
        me = threading.get_ident()
        writer = "intake" if first else WRITER.get()
        with self._cond:
            if self._holder == me:
                return False
            place = (0 if first else 1, next(self._tickets))
            self._waiting.add(place)
            asked = time.perf_counter()
            try:
                self._cond.wait_for(lambda: self._holder is None and min(self._waiting) == place,
                                    self._timeout)
            finally:
                self._waiting.discard(place)
            self._holder = me
            self._held_since, self._held_by = time.perf_counter(), writer
            account = self._turns.setdefault(writer, [0, 0.0, 0.0])
            account[0] += 1
            account[1] += self._held_since - asked
            return True

    def release(self) -> None:
        with self._cond:
            self._turns[self._held_by][2] += time.perf_counter() - self._held_since
            self._holder = None
            self._cond.notify_all()

    def turns(self) -> dict[str, tuple[int, float, float]]:
        """Per writer: turns taken, seconds waited for them, seconds held, since start."""
        with self._cond:
            return {writer: (int(n), waited, held) for writer, (n, waited, held) in self._turns.items()}


_writer_queues: weakref.WeakKeyDictionary[Engine, _WriterQueue] = weakref.WeakKeyDictionary()


def write_turns() -> dict[str, tuple[int, float, float]]:
    """This process's SQLite write turns, summed over its engines (`_WriterQueue.turns`)."""
    total: dict[str, tuple[int, float, float]] = {}
    for writers in list(_writer_queues.values()):
        for writer, figures in writers.turns().items():
            n, waited, held = total.get(writer, (0, 0.0, 0.0))
            total[writer] = (n + figures[0], waited + figures[1], held + figures[2])
    return total


@contextmanager
def sqlite_write_turn(engine: Engine, intake: bool = False) -> Iterator[None]:
    """This thread's turn in the SQLite engine's writer queue, for a write transaction that
    its caller begins and commits on the driver's own connection, where SQLAlchemy's begin
    event (which queues every other writer) does not see it; intake's turn comes first."""
    writers = _writer_queues.get(engine)  # none for an engine made elsewhere: no one queues
    queued = writers.acquire(first=intake) if writers is not None else False
    try:
        yield
    finally:
        if writers is not None and queued:
            writers.release()


@contextmanager
def sqlite_driver_transaction(engine: Engine, cursor: Any, intake: bool = False) -> Iterator[None]:
    """A write transaction on the driver's own connection (left in autocommit, since this
    module issues every BEGIN itself), in this thread's turn among the process's writers:
    BEGIN IMMEDIATE, the caller's statements, COMMIT; ROLLBACK when they raise. For hot
    writes that SQLAlchemy's begin, execute and commit would cost twice the CPU."""
    with sqlite_write_turn(engine, intake):
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield
            cursor.execute("COMMIT")
        except BaseException:
            if cursor.connection.in_transaction:
                cursor.execute("ROLLBACK")
            raise


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over
    # (the recipe from SQLAlchemy's SQLite notes). BEGIN IMMEDIATE takes the write lock up
    # front, so two writers queue on busy_timeout instead of failing on lock upgrade.
    # Readers (read_scope) begin deferred: under WAL they never wait for a writer, and
    # never make the writers wait for them.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    writers = _writer_queues[engine] = _WriterQueue(timeout=30)

    @event.listens_for(engine, "begin")
    def _begin(connection):
        options = connection.get_execution_options()
        if options.get("msgrouter_read_only", False):
            connection.exec_driver_sql("BEGIN")
            return
        queued = writers.acquire(first=options.get("msgrouter_writer") == "intake")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued:
                writers.release()
            raise
        connection.info["msgrouter_writing"] = queued

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection):
        # Released as COMMIT is issued: the next writer's BEGIN IMMEDIATE waits the
        # moment the commit takes, in SQLite's busy handler.
        if connection.info.pop("msgrouter_writing", False):
            writers.release()


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url`, or for the configured database; one per URL per process."""
    return _engine_for(url or get_settings().database_url)


@lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _tune_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection is pinged before use only once it has lain idle this
# long. pool_pre_ping pinged at every checkout: a round trip to a busy server per
# transaction, a third of the time of intake's group commit in the redis-postgres run
# (py-spy, bench/throughput.py's mail; 16.9 ms per group). A connection used within the
# last second is as good as a ping's answer; after a server restart the pool is
# invalidated at the first disconnect either way.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info["msgrouter_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.get("msgrouter_idle_since")  # none yet: a fresh connection
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_connection, None):
                # As pool_pre_ping does: every pooled connection is replaced, this one at once.
                raise exc.InvalidatePoolError() from err
            raise


@contextmanager
def session_scope(engine: Engine | None = None, writer: str | None = None) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error. `writer`
    names who writes ("intake" goes first to SQLite's write lock)."""
    engine = engine or get_engine()
    if writer is not None:
        engine = engine.execution_options(msgrouter_writer=writer)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reading only: it takes no write lock on SQLite, so an API listing
    a queue never stalls the pipeline (nor waits for it)."""
    engine = (engine or get_engine()).execution_options(msgrouter_read_only=True)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def upsert_dialect_insert(session: Session):
    """The `insert` of the session's dialect, which knows ON CONFLICT DO NOTHING."""
    if on_postgresql(session):
        from sqlalchemy.dialects import postgresql
        return postgresql.insert
    from sqlalchemy.dialects import sqlite
    return sqlite.insert
