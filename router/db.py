"""Engines and sessions: one engine per database URL, SQLite tuned for concurrent use."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from config.settings import get_settings


def on_postgresql(session: Session) -> bool:
    """Whether the session talks to PostgreSQL (SKIP LOCKED, its own ON CONFLICT)."""
    return session.get_bind().dialect.name == "postgresql"


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

    @event.listens_for(engine, "begin")
    def _begin(connection):
        read_only = connection.get_execution_options().get("msgrouter_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


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
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


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
