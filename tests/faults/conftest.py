"""Fixtures for the fault tests: a private PostgreSQL for the module (slow to create), a
private Redis per test (each test may kill it), a fresh migrated database per test, the
customer's mailbox, and msgrouter's processes pointed at all of them."""
from __future__ import annotations

import shutil
import uuid

import pytest

from faults.servers import PrivatePostgres, PrivateRedis
from faults.stack import Stack
from support import Sink

if shutil.which("initdb") is None or shutil.which("redis-server") is None:
    pytest.skip("the fault tests need initdb/pg_ctl and redis-server on PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def private_pg():
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def private_redis(request):
    """A private Redis; parametrize indirectly with True for one that keeps its data
    across a restart (appendonly), as a production broker usually does."""
    server = PrivateRedis(appendonly=getattr(request, "param", False))
    try:
        server.start()
        yield server
    finally:
        server.close()


def _migrated(url: str) -> str:
    from config.desk import get_desk
    from router.desk.desk_sync import sync_desk
    from router.storage.db import get_engine, session_scope
    from router.storage.migrate import upgrade

    upgrade(url)
    with session_scope(get_engine(url)) as session:
        sync_desk(session, get_desk())
    return url


@pytest.fixture(params=["postgresql", "sqlite"])
def fault_db(request, tmp_path):
    """A migrated database with the demo desk: on the private PostgreSQL, or a SQLite file."""
    if request.param == "sqlite":
        url = _migrated(f"sqlite:///{tmp_path / 'msgrouter.db'}")
    else:
        url = _migrated(request.getfixturevalue("private_pg").create_database(f"faults_{uuid.uuid4().hex[:8]}"))
    yield url
    from router.storage.db import get_engine

    get_engine(url).dispose()


@pytest.fixture
def pg_db(private_pg):
    """A migrated database on the private PostgreSQL (for tests that stop that server)."""
    url = _migrated(private_pg.create_database(f"faults_{uuid.uuid4().hex[:8]}"))
    yield url
    from router.storage.db import get_engine

    get_engine(url).dispose()


@pytest.fixture
def mailbox():
    """The customer's mailbox: the relay msgrouter sends its acknowledgements to."""
    with Sink() as sink:
        yield sink


@pytest.fixture
def stack_factory(tmp_path, mailbox):
    """Start msgrouter's processes: stack_factory(database_url, broker_url, **settings)."""
    stacks: list[Stack] = []

    def make(database_url: str, broker_url: str, **settings: str) -> Stack:
        stack = Stack(tmp_path, database_url, broker_url, mailbox.port, **settings)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()
