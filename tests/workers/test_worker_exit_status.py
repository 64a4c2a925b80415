"""`msgrouter worker` exits with the Celery worker's own status, so whatever supervises it
(systemd's Restart=on-failure, a shell loop) can tell a failure from a clean stop."""
from __future__ import annotations

import os
import signal

import pytest

import cli_process
from support import wait_for

pytestmark = pytest.mark.slow

WORKER = ("worker", "--pool", "threads", "--concurrency", "1", "--without-heartbeat", "--without-mingle",
          "--without-gossip")


def test_a_worker_that_cannot_start_exits_non_zero(tmp_path):
    """A second worker on a pidfile held by a live process stops inside Celery's worker
    (the same stop an "Unrecoverable error" takes). It used to exit 0."""
    pidfile = tmp_path / "worker.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # this test's process: alive, so the lock is not stale
    done = cli_process.msgrouter(*WORKER, "--pidfile", str(pidfile), cwd=tmp_path, timeout=120)
    assert "Pidfile" in done.stderr + done.stdout, done.stderr
    assert done.returncode == 73, (done.returncode, done.stderr[-2000:])  # EX_CANTCREAT


def test_a_worker_stopped_by_sigterm_exits_zero(tmp_path):
    log = tmp_path / "worker.log"
    proc = cli_process.start(*WORKER, cwd=tmp_path, log=log)
    try:
        wait_for(lambda: " ready." in log.read_text(errors="replace"), timeout=60, what="the worker to be ready")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text(errors="replace")[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
