"""Fixtures on the real stack: SQLite and PostgreSQL databases, Redis as the Celery broker,
our SMTP server and web app on free ports, an SMTP sink standing in for the customer."""
from __future__ import annotations

import os
import shutil
import uuid

import pytest

# Before anything imports the Celery app: tests use their own Redis database. Under
# pytest-xdist (`make test` runs two workers) each worker has its own databases, for the
# broker and for the benchmarks' stack, whatever the environment says: two workers on one
# database would take each other's tasks. Worker N uses 11 + 3N and 12 + 3N (Redis has
# 16), so `make test` runs at most two workers (-n 2).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    _N = int(_WORKER.removeprefix("gw"))
    os.environ["MSGROUTER_BROKER_URL"] = f"redis://127.0.0.1:6379/{11 + 3 * _N}"
    os.environ["MSGROUTER_BENCH_REDIS"] = f"redis://127.0.0.1:6379/{12 + 3 * _N}"
os.environ.setdefault("MSGROUTER_BROKER_URL", "redis://127.0.0.1:6379/11")
os.environ.setdefault("MSGROUTER_LOG_LEVEL", "INFO")
os.environ["MSGROUTER_MODEL_PATH"] = "/nonexistent/model.joblib"  # rules only unless a test says
PG_ADMIN_URL = os.environ.get("MSGROUTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

import psycopg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import text  # noqa: E402

# The worker's task modules (the classifier's retraining among them) are imported with this
# file rather than when a test first starts a worker: under `make mutation` mutmut's fork
# server imports this file once, and each mutant's child then starts its worker without
# a second of imports.
import workers.tasks  # noqa: E402,F401
from support import Sink, free_port, serve_app  # noqa: E402


def reset_caches() -> None:
    from config.desk import get_desk
    from config.settings import get_settings
    from router.queue.doorbell import get_doorbell

    get_settings.cache_clear()
    get_desk.cache_clear()
    get_doorbell.cache_clear()
    try:
        from router.steps.classify import triage_model

        triage_model.cache_clear()
    except ImportError:
        pass


MUTMUT_CHILDREN = 2  # Redis databases 11-15 give two children a broker and a bench database each


def _take_child_slot():
    """The first of MUTMUT_CHILDREN slots no other process holds: an exclusive lock on a
    file per slot, released when this session closes it (or when the process dies)."""
    import fcntl
    import tempfile
    from pathlib import Path

    for slot in range(MUTMUT_CHILDREN):
        handle = open(Path(tempfile.gettempdir()) / f"msgrouter-mutmut-child-{slot}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return slot, handle
    raise RuntimeError(f"more mutmut children at once than the {MUTMUT_CHILDREN} the tests' Redis databases allow")


@pytest.fixture(scope="session", autouse=True)
def _redis_of_this_mutmut_child():
    """Under mutmut (`make mutation` runs two children at once) each child's pytest session
    takes its own Redis databases, numbered as pytest-xdist's workers' are: two children on
    one broker would take each other's tasks. The Celery app was made in mutmut's fork
    server, before any child existed, so its broker URL is set here too."""
    if "MUTANT_UNDER_TEST" not in os.environ or os.environ.get("MSGROUTER_MUTANT_BY_HAND"):
        # A mutant switched on by hand (docs/mutation.md) keeps the Redis database its
        # caller set, and leaves both slots to a `make mutation` that may be running.
        yield
        return
    slot, handle = _take_child_slot()
    saved = {k: os.environ.get(k) for k in ("MSGROUTER_BROKER_URL", "MSGROUTER_BENCH_REDIS")}
    os.environ["MSGROUTER_BROKER_URL"] = f"redis://127.0.0.1:6379/{11 + 3 * slot}"
    os.environ["MSGROUTER_BENCH_REDIS"] = f"redis://127.0.0.1:6379/{12 + 3 * slot}"
    reset_caches()
    import sys

    if "workers.app" in sys.modules:
        sys.modules["workers.app"].app.conf.broker_url = os.environ["MSGROUTER_BROKER_URL"]
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        handle.close()


@pytest.fixture(scope="session")
def pg_url():
    name = f"msgrouter_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    from router.storage.migrate import upgrade

    upgrade(url)
    yield url
    from router.storage.db import get_engine

    get_engine(url).dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrated_sqlite(path) -> None:
    from router.storage.db import get_engine
    from router.storage.migrate import upgrade

    url = f"sqlite:///{path}"
    upgrade(url)
    # Closing the last connection folds the write-ahead log into the file, so a plain
    # copy of the file carries the schema.
    get_engine(url).dispose()


def _cached_template(tmp_path_factory):
    """Under mutmut every mutant is a pytest session of its own, and migrating the template
    again for each (alembic's import and fourteen migrations, about a second) was a fixed
    cost on top of every mutant's tests. The template is a function of the migrations
    alone (mutmut never mutates them), so it is built once per content of migrations/ and
    copied from then on; a new or edited migration makes a new one."""
    import hashlib
    from pathlib import Path

    migrations = Path(__file__).resolve().parent.parent / "migrations"
    digest = hashlib.sha256()
    for file in sorted(migrations.rglob("*.py")):
        digest.update(file.relative_to(migrations).as_posix().encode() + b"\0" + file.read_bytes())
    cache = Path(tmp_path_factory.getbasetemp()).parent / "msgrouter-template"
    cache.mkdir(exist_ok=True)
    path = cache / f"{digest.hexdigest()[:16]}.db"
    if not path.exists():
        # Built aside and renamed: two mutants starting at once never copy half a file.
        building = cache / f"{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:6]}.db"
        _migrated_sqlite(building)
        building.replace(path)
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    if "MUTANT_UNDER_TEST" in os.environ:  # a mutmut run: see _cached_template
        return _cached_template(tmp_path_factory)
    path = tmp_path_factory.mktemp("template") / "msgrouter.db"
    _migrated_sqlite(path)
    return path


def _truncate(url: str) -> None:
    from sqlmodel import SQLModel

    import router.storage.models  # noqa: F401
    from router.storage.db import get_engine

    names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with get_engine(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch, sqlite_template):
    """A migrated, empty database with the demo desk synced; both kinds, one after the other."""
    if request.param == "sqlite":
        path = tmp_path / "msgrouter.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        _truncate(url)
    monkeypatch.setenv("MSGROUTER_DATABASE_URL", url)
    reset_caches()
    from config.desk import get_desk
    from router.desk.desk_sync import sync_desk
    from router.storage.db import get_engine, session_scope

    with session_scope() as session:
        sync_desk(session, get_desk())
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
    reset_caches()


@pytest.fixture
def broker():
    """The tests' Redis database, emptied before use."""
    client = redis.Redis.from_url(os.environ["MSGROUTER_BROKER_URL"])
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def worker(db_url, broker, monkeypatch):
    """A real Celery worker (threads pool) consuming the Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from workers.app import app

    # Stopping, the worker's Redis channel reads the answer to the BRPOP it has waiting,
    # which comes when the BRPOP times out: a second by default, 0.7 s of every test's
    # teardown. kombu takes polling_interval as that timeout. Only the tests' workers
    # poll this often; production keeps kombu's second.
    monkeypatch.setitem(app.conf, "broker_transport_options",
                        {**app.conf.broker_transport_options, "polling_interval": 0.05})
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False,
                      loglevel="WARNING", shutdown_timeout=30):
        yield


@pytest.fixture
def sink(monkeypatch):
    with Sink() as s:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(s.port))
        reset_caches()
        yield s


@pytest.fixture
def smtp_port(db_url, monkeypatch):
    """Our SMTP server on a free port, its abuse limits out of the way: the tests send from
    one IP and few senders at rates no real sender would (tests/channels/test_smtp_limits.py
    tries the limits)."""
    from channels.email.server import make_controller
    from config.settings import get_settings

    port = free_port()
    monkeypatch.setenv("MSGROUTER_SMTP_PORT", str(port))
    for name in ("MAX_CONNECTIONS_PER_IP", "MESSAGES_PER_SENDER", "MESSAGES_PER_IP"):
        monkeypatch.setenv(f"MSGROUTER_SMTP_{name}", "100000")
    get_settings.cache_clear()
    controller = make_controller()
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def api(db_url):
    """The web app on a free port; yields (base URL, a function giving an agent's auth header).
    The header is the demo desk's supervisor's unless the test names an agent: a supervisor
    may read and act on every pool, so a test about something else need not pick the pool's
    member; tests of roles and pool scope name their agents."""
    from router.desk.tokens import issue_token
    from router.storage.db import session_scope
    from router.web.app import create_app

    def auth(agent: str = "erin") -> dict[str, str]:
        with session_scope() as session:
            return {"Authorization": f"Bearer {issue_token(session, agent, actor='test')}"}

    with serve_app(create_app()) as base:
        yield base, auth
