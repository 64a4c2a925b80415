"""msgrouter's stacks as the benchmark runs them, each part its own process started the
way an operator starts it: `msgrouter run` (embedded: SQLite, in-process broker and
worker), or `msgrouter smtp`, `worker` and `beat` on Redis with a fresh PostgreSQL
database that the benchmark creates and drops. Also the Redis rule: refuse a database
that holds keys, delete only the keys a run made."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from procmem import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("MSGROUTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("MSGROUTER_BENCH_REDIS", "redis://127.0.0.1:6379/12")
MODEL = ROOT / "config" / "triage-model.npz"
# The keys a run leaves in Redis: the task queues and the unacked set, kombu's
# bindings and pidbox, the doorbell flags. Only these are deleted afterwards.
RUN_KEYS = ("msgrouter*", "_kombu.*", "unacked*")
WORKER_ARGS = ("--pool", "threads", "--concurrency", "4",  # as docker-compose.yml runs it
               "--without-heartbeat", "--without-mingle", "--without-gossip")


def empty_redis_or_exit() -> None:
    """Refuse a Redis database that holds anything: it may be someone's data."""
    import redis

    held = redis.Redis.from_url(REDIS).dbsize()
    if held:
        sys.exit(f"bench: {REDIS} holds {held} keys; the benchmark runs only on an empty Redis database "
                 f"and deletes nothing it did not create. Point MSGROUTER_BENCH_REDIS at an unused one.")


def delete_run_keys() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    for pattern in RUN_KEYS:
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(**settings: str) -> dict[str, str]:
    """This environment without any MSGROUTER_ setting of the caller's, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "bench")])
    env.update(settings)
    return env


class Stack:
    """One mode of msgrouter, started in `workdir`, relaying to the sink on `relay_port`."""

    def __init__(self, mode: str, workdir: Path, relay_port: int) -> None:
        self.mode, self.workdir = mode, workdir
        self.smtp_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []  # each process's output, shown if it dies
        self.pg_name: str | None = None
        common = {"MSGROUTER_SMTP_PORT": str(self.smtp_port), "MSGROUTER_RELAY_PORT": str(relay_port),
                      "MSGROUTER_LOG_LEVEL": "WARNING", "MSGROUTER_MODEL_PATH": str(MODEL),
                      # The bench's clients are one IP and one sender offering thousands of
                      # mails: the SMTP abuse limits would measure themselves.
                      **{f"MSGROUTER_SMTP_{name}": "1000000" for name in
                         ("MAX_CONNECTIONS_PER_IP", "MESSAGES_PER_SENDER", "MESSAGES_PER_IP")}}
        if mode == "embedded":
            self.url = f"sqlite:///{workdir}/msgrouter.db"
            self.web_port = free_port()
            self.env = base_env(**common, MSGROUTER_DATABASE_URL=self.url, MSGROUTER_BROKER_URL="memory://",
                                MSGROUTER_WEB_PORT=str(self.web_port))
        else:
            self.pg_name = f"msgrouter_bench_{uuid.uuid4().hex[:8]}"
            self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.pg_name
            self.env = base_env(**common, MSGROUTER_DATABASE_URL=self.url, MSGROUTER_BROKER_URL=REDIS)

    def _start(self, name: str, *args: str) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        self.processes[name] = subprocess.Popen([sys.executable, "-m", "router.cli", *args], env=self.env,
                                                cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        if self.mode == "embedded":
            self._start("run", "run", "--workers", "4")
        else:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            subprocess.run([sys.executable, "-m", "router.cli", "db", "upgrade"], env=self.env,
                           cwd=self.workdir, check=True, capture_output=True)
            self._start("smtp", "smtp")
            self._start("worker", "worker", *WORKER_ARGS)
            self._start("beat", "beat")
        self._wait_for(self.smtp_port, "SMTP server", timeout=90)
        if self.mode == "embedded":
            self._wait_for(self.web_port, "web app", timeout=90)  # its /metrics is read

    def _wait_for(self, port: int, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.mode}: our {what} did not listen within {timeout:.0f} s")

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.mode}: `msgrouter {name}` exited ({proc.returncode}):\n{tail}")

    def write_lock(self) -> dict[str, float]:
        """Embedded: seconds SQLite's write lock has been held so far, per writer, from the
        run's own `/metrics` (msgrouter_sqlite_write_held_seconds); {} in other modes."""
        if self.mode != "embedded":
            return {}
        import urllib.request

        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/metrics", timeout=30) as answer:
            text = answer.read().decode()
        return {sample.labels["writer"]: sample.value for family in text_string_to_metric_families(text)
                for sample in family.samples if sample.name == "msgrouter_sqlite_write_held_seconds_total"}

    def peak_rss(self) -> dict[str, float]:
        """Each process's peak resident memory so far (MB, children included)."""
        return {name: peak_rss_mb(proc.pid) for name, proc in self.processes.items()}

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()
        if self.pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
