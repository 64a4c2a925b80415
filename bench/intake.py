"""Accept latency under concurrent load with a drain running: p50/p99 of `accept` for
many concurrent callers, one transaction per message (before) and group commit (after),
side by side, embedded (SQLite) and, with --postgres, on PostgreSQL.

    .venv/bin/python bench/intake.py [--n 2000] [--clients 16] [--postgres]

Mails are generated and parsed first; then `--clients` threads accept them as fast as
they can while one thread drains (the full pipeline) in a loop, as the worker would.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("MSGROUTER_BROKER_URL", "memory://")  # rings go nowhere: the bench drains
os.environ.setdefault("MSGROUTER_LOG_LEVEL", "WARNING")
os.environ.setdefault("MSGROUTER_MODEL_PATH", str(ROOT / "config" / "triage-model.npz"))
PG_ADMIN = os.environ.get("MSGROUTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _database(kind: str, cleanup: list) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='msgrouter-bench-intake-')}/bench.db"
    import psycopg

    name = f"msgrouter_bench_intake_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    cleanup.append(name)
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _prepared_database(url: str):
    from config.desk import get_desk
    from router.desk.desk_sync import sync_desk
    from router.storage.db import get_engine, session_scope
    from router.storage.migrate import upgrade

    upgrade(url)
    engine = get_engine(url)
    with session_scope(engine) as session:
        sync_desk(session, get_desk())
    return engine


def _inbounds(n: int, run: str) -> list:
    from channels import email as email_channel
    from mailgen import generate

    out = []
    for msg in generate(n):
        del msg["Message-ID"]
        msg["Message-ID"] = f"<{run}.{len(out)}@bench.example>"
        out.append(email_channel.parse(msg.as_bytes(), envelope_from=msg["From"].addresses[0].addr_spec,
                                       envelope_to="support@pinecone.example"))
    return out


def measure(kind: str, path: str, n: int, clients: int) -> dict:
    """Accept `n` mails from `clients` threads with a drain running; latencies in ms."""
    from router.queue import intake
    from router.queue.drain import drain_inbound

    cleanup: list = []
    url = _database(kind, cleanup)
    engine = _prepared_database(url)
    accept = intake.accept if path == "group" else intake.accept_alone
    inbounds = _inbounds(n, f"{kind}-{path}")
    latencies: list[float] = []
    lock, stop = threading.Lock(), threading.Event()

    def drain() -> None:
        while not stop.is_set():
            drain_inbound(engine)
            time.sleep(0.005)  # the doorbell's pace: a new task once work has gathered

    def client(share: list) -> None:
        mine = []
        for inbound in share:
            start = time.perf_counter()
            accept(inbound, engine)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    drainer = threading.Thread(target=drain, daemon=True)
    threads = [threading.Thread(target=client, args=(inbounds[i::clients],)) for i in range(clients)]
    began = time.perf_counter()
    drainer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - began
    drained_meanwhile = _done(engine)  # a drain starved by intake shows here, not in the latencies
    stop.set()
    drainer.join()
    engine.dispose()
    _drop(cleanup)
    cuts = statistics.quantiles(latencies, n=100)
    return {"db": kind, "path": path, "accepted_per_s": n / took, "p50_ms": cuts[49] * 1000,
            "p99_ms": cuts[98] * 1000, "max_ms": max(latencies) * 1000, "drained": drained_meanwhile}


def _done(engine) -> int:
    """Inbound messages the drain has finished so far."""
    from sqlalchemy import func, select

    from router.storage.db import read_scope
    from router.storage.models import Message

    with read_scope(engine) as session:
        return session.execute(select(func.count()).select_from(Message).where(
            Message.direction == "in", Message.status.in_(("done", "failed")))).scalar_one()


def _drop(names: list) -> None:
    if not names:
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="mails per run")
    parser.add_argument("--clients", type=int, default=16, help="concurrent callers of accept")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    print(f"{args.n} mails, {args.clients} concurrent callers, a drain running")
    print(f"{'database':11} {'path':22} {'accepted/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
          f" {'drained meanwhile':>18}")
    for kind in kinds:
        for path, label in (("alone", "one commit per mail"), ("group", "group commit")):
            r = measure(kind, path, args.n, args.clients)
            print(f"{kind:11} {label:22} {r['accepted_per_s']:>10.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
                  f" {r['max_ms']:>8.1f} {r['drained']:>18}", flush=True)


if __name__ == "__main__":
    main()
