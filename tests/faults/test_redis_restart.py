"""Redis, the broker, dies under load and comes back empty.

Mail keeps coming in over SMTP and a real worker is processing it when Redis is killed
(no persistence: every queued drain task, every doorbell flag and every unacknowledged
task is gone) and started again on the same port. The database is the truth and the broker
only a doorbell: the SMTP server keeps answering 250 after each commit, the worker and beat
reconnect, tick re-rings the work left pending (no mail arrives after Redis returns, so nothing else
would), and every accepted mail is processed and acknowledged exactly once.
"""
from __future__ import annotations

import time

import pytest
import redis

from faults.ledger import assert_each_once, settle
from faults.mailers import Mailers
from support import wait_for

pytestmark = pytest.mark.slow


def test_redis_restart_under_load_loses_nothing(fault_db, private_redis, stack_factory, mailbox):
    _restart_under_load(fault_db, private_redis, stack_factory, mailbox)


@pytest.mark.parametrize("private_redis", [True], indirect=True, ids=["appendonly"])
def test_redis_restart_with_its_queue_kept_runs_nothing_twice(pg_db, private_redis, stack_factory, mailbox):
    """With appendonly the queued drain tasks come back with Redis, on top of tick's
    re-rings: claims make the extra runs no-ops. (Tasks a worker had taken are not kept in
    Redis: workers/app.py turns kombu's ack emulation off.)"""
    _restart_under_load(pg_db, private_redis, stack_factory, mailbox)


def _restart_under_load(fault_db, private_redis, stack_factory, mailbox) -> None:
    stack = stack_factory(fault_db, private_redis.url())
    stack.start("smtp", "worker", "beat")
    with Mailers(stack.smtp_port, clients=4) as mailers:
        # Under load: mail accepted and already being acknowledged when Redis dies.
        wait_for(lambda: len(mailers.accepted()) >= 20 and len(mailbox.messages) >= 3, timeout=60,
                 what="mail flowing through to the mailbox")
        private_redis.kill()
        accepted_at_kill = len(mailers.accepted())
        time.sleep(2.0)
        # The last mail comes in while Redis is down: no new mail rings after it returns,
        # so only tick's re-rings can get what was left waiting processed.
        mailers.stop()
        accepted_while_down = len(mailers.accepted()) - accepted_at_kill
    private_redis.start()
    if private_redis.appendonly:  # what the broker knew before the kill is back
        assert redis.Redis.from_url(private_redis.url()).exists("_kombu.binding.msgrouter")
    mails = mailers.snapshot()
    assert all(m.accepted for m in mails), "a client gave up: its mail was never accepted"
    # Intake needs only the database: Redis being down must not turn mail away.
    assert mailers.codes() == {250}, f"replies other than 250: {sorted(mailers.codes())}\n{stack.logs()}"
    assert accepted_while_down > 0, "no mail was accepted while Redis was down"
    settle(fault_db, mails, mailbox, timeout=90, why=stack.logs)
    counts = assert_each_once(fault_db, mails, mailbox)
    assert stack.alive("smtp") and stack.alive("worker") and stack.alive("beat"), stack.logs()
    print(f"\naccepted while Redis was down: {accepted_while_down}; {counts}")
