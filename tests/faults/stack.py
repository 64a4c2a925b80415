"""msgrouter as an operator runs it in production mode: `msgrouter smtp`, `msgrouter worker`
and `msgrouter beat`, each its own process, pointed at the test's private PostgreSQL (or a
SQLite file) and private Redis."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import cli_process
from faults.servers import wait_port
from support import free_port, wait_for

# Short clocks, so recovery that takes minutes in production takes seconds here: tick every
# second re-rings inbound work waiting longer than 2 s and claims whose worker has not
# finished within the lease.
FAST_CLOCKS = {
    "MSGROUTER_TICK_SECONDS": "1",
    "MSGROUTER_RERING_AFTER_SECONDS": "2",
    "MSGROUTER_CLAIM_LEASE_SECONDS": "10",
}
# The clients all write from 127.0.0.1, hundreds of mails a minute: the SMTP abuse limits
# (tests/channels/test_smtp_limits.py tries them) would answer 421/451 for reasons of their own.
NO_LIMITS = {f"MSGROUTER_SMTP_{name}": "100000"
             for name in ("MAX_CONNECTIONS_PER_IP", "MESSAGES_PER_SENDER", "MESSAGES_PER_IP")}


class Stack:
    def __init__(self, workdir: Path, database_url: str, broker_url: str, relay_port: int,
                 **settings: str) -> None:
        self.workdir = workdir
        self.smtp_port = free_port()
        self.settings = {"MSGROUTER_DATABASE_URL": database_url, "MSGROUTER_BROKER_URL": broker_url,
                         "MSGROUTER_RELAY_PORT": str(relay_port), "MSGROUTER_SMTP_PORT": str(self.smtp_port),
                         "MSGROUTER_LOG_LEVEL": "INFO", **FAST_CLOCKS, **NO_LIMITS, **settings}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, *names: str) -> None:
        for name in names:
            args = {"smtp": ["smtp"], "beat": ["beat"],
                    "worker": ["worker", "--pool", "threads", "--concurrency", "2", "--without-heartbeat",
                               "--without-mingle", "--without-gossip"]}[name]
            self.procs[name] = cli_process.start(*args, cwd=self.workdir, log=self.log_path(name),
                                                 **self.settings)
        if "smtp" in names:
            wait_port(self.smtp_port, timeout=60)
        if "worker" in names:  # consuming, so a test's fault does not land during start-up
            wait_for(lambda: " ready." in self.log_path("worker").read_text(errors="replace"), timeout=60,
                     what="the worker to be ready")

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def logs(self, lines: int = 40) -> str:
        """The tail of each process's log, for an assertion message."""
        out = []
        for name in self.procs:
            text = self.log_path(name).read_text(errors="replace").splitlines()
            out.append(f"--- {name} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def close(self) -> None:
        """Stop every process at once (each waits for its own work to end), then make sure."""
        running = [proc for proc in self.procs.values() if proc.poll() is None]
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        for proc in self.procs.values():
            # The worker's pool threads or beat's children must not outlive the test.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
