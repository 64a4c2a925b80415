"""The reference: the naive design, one Celery task per message on Redis, doing nothing.

The same number of messages are enqueued, from as many threads as there are SMTP clients,
each as one task carrying only its index, into a Celery worker with Celery's defaults
(prefork pool, one child per core, prefetch 4) whose task does nothing. Timed from the
first enqueue to the last task done: tasks are acknowledged after they ran (acks_late),
so the last is done when the queue and Redis's set of unacknowledged tasks are both empty.
No SMTP, no database: the cost of the queue alone.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from celery import Celery

QUEUE = "msgrouter.bench-naive"  # under the run's key patterns, so the bench deletes it
app = Celery("bench-naive", broker=os.environ.get("MSGROUTER_BENCH_REDIS", "redis://127.0.0.1:6379/12"))
UNACKED = f"{QUEUE}.unacked"  # its own set: msgrouter's worker may share the Redis database
app.conf.update(task_default_queue=QUEUE, task_ignore_result=True, task_acks_late=True,
                worker_hijack_root_logger=False,
                broker_transport_options={"unacked_key": UNACKED, "unacked_index_key": f"{UNACKED}.index",
                                          "unacked_mutex_key": f"{UNACKED}.mutex"})


@app.task(name="noop")
def noop(index: int) -> None:
    """Nothing: what is measured is the queue around it."""


class NaiveWorker:
    def __init__(self, env: dict[str, str], concurrency: int) -> None:
        self.env, self.concurrency = env, concurrency
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> NaiveWorker:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "naive", "worker", "--pool", "prefork",
             "--concurrency", str(self.concurrency), "--without-heartbeat", "--without-mingle",
             "--without-gossip", "--loglevel", "WARNING"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _all_done(client) -> bool:
    # Twice, a few ms apart: a task moves from the queue to the unacked set in one step
    # of kombu's, and this must not look between the two.
    for _ in range(2):
        if client.llen(QUEUE) or client.hlen(UNACKED):
            return False
        time.sleep(0.003)
    return True


def run_tasks(n: int, threads: int, timeout: float = 300) -> float:
    """Enqueue `n` no-op tasks from `threads` threads; seconds until the last is done."""
    import redis

    client = redis.Redis.from_url(app.conf.broker_url)
    start = time.perf_counter()

    def enqueue(first: int) -> None:
        for i in range(first, n, threads):
            noop.apply_async((i,))

    senders = [threading.Thread(target=enqueue, args=(i,)) for i in range(threads)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    while not _all_done(client):
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"naive: {client.llen(QUEUE)} tasks still queued after {timeout:.0f} s")
        time.sleep(0.002)
    return time.perf_counter() - start
