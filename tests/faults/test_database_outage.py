"""The database crashes while customers' mail is coming in over SMTP.

While PostgreSQL is down every client is told 451 (try again later), never 250 for a mail
that is then lost and never a permanent 5xx; once it is back the clients' retries are taken,
and every mail is stored once, processed once and acknowledged once.
"""
from __future__ import annotations

import time

import pytest

from faults.ledger import assert_each_once, settle
from faults.mailers import CONNECTION_FAILED, Mailers
from support import wait_for

pytestmark = pytest.mark.slow


def test_postgres_crash_during_smtp_intake_loses_nothing(private_pg, pg_db, private_redis, stack_factory,
                                                         mailbox):
    stack = stack_factory(pg_db, private_redis.url())
    stack.start("smtp", "worker", "beat")
    with Mailers(stack.smtp_port, clients=4) as mailers:
        wait_for(lambda: len(mailers.accepted()) >= 20, timeout=60, what="mail flowing in")
        private_pg.stop("immediate")  # a crash: every session cut, no checkpoint
        before = mailers.count(451)
        wait_for(lambda: mailers.count(451) >= before + 8, timeout=30, what="clients told 451")
        time.sleep(1.0)  # an outage long enough that every client meets it
        accepted_during = len(mailers.accepted())
        time.sleep(0.5)
        assert len(mailers.accepted()) == accepted_during, "250 while the database was down"
        private_pg.start()
        wait_for(lambda: len(mailers.accepted()) >= accepted_during + 12, timeout=60,
                 what="mail accepted again after the database returned")
    mails = mailers.snapshot()
    assert all(m.accepted for m in mails), "a client gave up: its mail was never accepted"
    codes = mailers.codes()
    assert codes <= {250, 451, CONNECTION_FAILED}, f"unexpected replies: {sorted(codes)}\n{stack.logs()}"
    assert mailers.count(CONNECTION_FAILED) == 0, "the SMTP server dropped sessions instead of answering"
    settle(pg_db, [m for m in mails if m.accepted], mailbox, why=stack.logs)
    counts = assert_each_once(pg_db, mails, mailbox)
    assert mailers.count(451) >= 8 and counts["accepted"] >= 32
    assert stack.alive("smtp") and stack.alive("worker") and stack.alive("beat")
    print(f"\n451 replies: {mailers.count(451)}; {counts}")
