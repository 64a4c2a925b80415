"""End-to-end throughput: N generated emails through our SMTP server into the full
pipeline (parse, redact, insert, thread, classify, route, assign, deadlines,
acknowledge), measured with the embedded defaults and with Redis + PostgreSQL.

    .venv/bin/python bench/throughput.py [--n 2000] [--quick]

Each mode runs in its own process (the Celery app binds its broker at import) and
prints one JSON line; the parent prints the figures side by side.
"""
from __future__ import annotations

import argparse
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]
PG_ADMIN = os.environ.get("MSGROUTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("MSGROUTER_BENCH_REDIS", "redis://127.0.0.1:6379/12")
# The keys a run leaves in Redis: the task queue and its unacked set, kombu's
# bindings and pidbox, the doorbell flags. Only these are deleted afterwards.
RUN_KEYS = ("msgrouter*", "_kombu.*", "unacked*")


def _empty_redis_or_exit() -> None:
    """Refuse a Redis database that holds anything: it may be someone's data."""
    import redis

    held = redis.Redis.from_url(REDIS).dbsize()
    if held:
        sys.exit(f"bench: {REDIS} holds {held} keys; the benchmark runs only on an empty Redis database "
                 f"and deletes nothing it did not create. Point MSGROUTER_BENCH_REDIS at an unused one.")


def _delete_run_keys() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    for pattern in RUN_KEYS:
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)


def _send_all(port: int, messages: list, clients: int = 4) -> None:
    def worker(chunk: list) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for msg in chunk:
                smtp.send_message(msg)
    threads = [threading.Thread(target=worker, args=(messages[i::clients],)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _done_count() -> int:
    from sqlalchemy import func, select

    from router.db import session_scope
    from router.models import Message

    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "in", Message.status == "done")).scalar()


def _measure(n: int, port: int, sink) -> dict:  # noqa: ANN001
    from mailgen import generate

    messages = generate(n)
    start = time.perf_counter()
    _send_all(port, messages)
    accepted = time.perf_counter()
    while _done_count() < n:
        if time.perf_counter() - start > 600:
            raise SystemExit("bench: pipeline did not finish within 10 minutes")
        time.sleep(0.02)
    finished = time.perf_counter()
    return {"n": n, "intake_per_s": round(n / (accepted - start), 1),
            "end_to_end_per_s": round(n / (finished - start), 1),
            "seconds": round(finished - start, 2), "acks_delivered_so_far": len(sink.messages)}


def run_mode(mode: str, n: int) -> dict:
    """Runs inside the child process: set up the stack of `mode`, feed it, measure."""
    from support import Sink, free_port

    env = {"MSGROUTER_SMTP_PORT": str(free_port()), "MSGROUTER_LOG_LEVEL": "WARNING",
           "MSGROUTER_MODEL_PATH": os.environ.get("MSGROUTER_MODEL_PATH", str(ROOT / "config" / "triage-model.npz"))}
    workdir = Path(tempfile.mkdtemp(prefix="msgrouter-bench-"))
    extra: list = []
    if mode == "embedded":
        env["MSGROUTER_DATABASE_URL"] = f"sqlite:///{workdir}/bench.db"
        env["MSGROUTER_BROKER_URL"] = "memory://"
    else:
        import psycopg

        _empty_redis_or_exit()   # before anything is created
        name = f"msgrouter_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["MSGROUTER_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        env["MSGROUTER_BROKER_URL"] = REDIS
        extra.append(name)
    with Sink() as sink:
        env["MSGROUTER_RELAY_PORT"] = str(sink.port)
        os.environ.update(env)
        from channels.email.server import make_controller
        from config.desk import get_desk
        from router.db import session_scope
        from router.desk_sync import sync_desk
        from router.migrate import upgrade

        upgrade()
        with session_scope() as session:
            sync_desk(session, get_desk())
        smtp = make_controller()
        smtp.start()
        worker_proc = embedded = None
        try:
            if mode == "embedded":
                from workers.embedded import EmbeddedWorker

                embedded = EmbeddedWorker(concurrency=4)
                embedded.start()
            else:
                worker_proc = subprocess.Popen(
                    [sys.executable, "-m", "router.cli", "worker", "--pool", "threads", "--concurrency", "2",
                     "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
                    env={**os.environ}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(3)  # the worker connects to Redis
            _measure(min(50, n), int(env["MSGROUTER_SMTP_PORT"]), sink)  # warm-up: imports, caches
            result = _measure(n, int(env["MSGROUTER_SMTP_PORT"]), sink)
        finally:
            smtp.stop()
            if embedded:
                embedded.stop()
            if worker_proc:
                worker_proc.terminate()
                worker_proc.wait(20)
    if extra:
        _delete_run_keys()
        from router.db import get_engine

        get_engine().dispose()
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{extra[0]}" WITH (FORCE)')
    result["mode"] = mode
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="messages per mode")
    parser.add_argument("--quick", action="store_true", help="300 messages per mode")
    parser.add_argument("--mode", choices=["embedded", "redis-postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = 300 if args.quick else args.n
    if args.mode:  # child
        print(json.dumps(run_mode(args.mode, n)))
        return
    _empty_redis_or_exit()   # before the embedded run, not after it
    results = []
    for mode in ("embedded", "redis-postgres"):
        out = subprocess.run([sys.executable, __file__, "--mode", mode, "--n", str(n)], cwd=ROOT,
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            sys.exit(f"bench {mode} failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'mode':16} {'messages':>8} {'intake msg/s':>13} {'end-to-end msg/s':>17} {'seconds':>8}")
    for r in results:
        print(f"{r['mode']:16} {r['n']:>8} {r['intake_per_s']:>13} {r['end_to_end_per_s']:>17} {r['seconds']:>8}")


if __name__ == "__main__":
    main()
