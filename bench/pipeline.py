"""The pipeline alone: N generated mails are accepted as pending rows first (intake, not
timed), then one timed drain_inbound() call runs them through the set-based pipeline
(thread, dedupe, classify, route, assign, deadlines, acknowledge; the acknowledgements
are queued, not sent). SQLite and PostgreSQL side by side, with the shipped model and
with rules alone, each in a fresh database and its own process; prints messages/s (by
the wall clock and by the process's CPU time) and the SQL statements the drain sent per
1,000 messages (an executemany counts once). Prints figures only: a benchmark, not a test.

`--batch 13` drains in batches of about the size the embedded stack's drain gathers under
bench/throughput.py's load, where each batch's fixed cost counts for more than at the
default 200 (MSGROUTER_DRAIN_BATCH).

    .venv/bin/python bench/pipeline.py [--n 1000] [--batch N]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from email.utils import parseaddr
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from config.settings import Settings  # noqa: E402
from stack import MODEL, PG_ADMIN, base_env  # noqa: E402

WARMUP = 50
DEFAULT_BATCH = Settings.model_fields["drain_batch"].default  # the children run with the defaults
CONFIGS = [("sqlite", "shipped"), ("sqlite", "rules only"), ("postgresql", "shipped"), ("postgresql", "rules only")]


def _accept_all(messages: list) -> None:
    from channels import email as email_channel
    from router.queue.intake import accept

    for msg in messages:
        accept(email_channel.parse(msg.as_bytes(), envelope_from=parseaddr(str(msg["From"]))[1],
                                   envelope_to=parseaddr(str(msg["To"]))[1]))


def _count_done(engine) -> tuple[int, int]:
    from sqlalchemy import func, select

    from router.storage.models import Message

    with engine.connect() as conn:
        rows = dict(conn.execute(select(Message.status, func.count()).where(Message.direction == "in")
                                 .group_by(Message.status)).all())
    return rows.get("done", 0), rows.get("failed", 0)


def measure(n: int, batch: int | None = None) -> dict:
    """In the child: a migrated database with the desk, a warm-up drain, then the timed one."""
    from sqlalchemy import event

    from config.desk import get_desk
    from feed import relabel
    from mailgen import generate
    from router.desk.desk_sync import sync_desk
    from router.queue.drain import drain_inbound
    from router.storage.db import get_engine, session_scope
    from router.storage.migrate import upgrade

    upgrade()
    with session_scope() as session:
        sync_desk(session, get_desk())
    _accept_all(relabel(generate(WARMUP, seed=1), "warmup"))
    drain_inbound()  # imports, the model, caches
    before = _count_done(get_engine())
    _accept_all(generate(n))
    statements = [0]
    event.listen(get_engine(), "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    wall, cpu = time.perf_counter(), time.process_time()
    while drain_inbound(batch_size=batch):
        pass  # a call runs at most MAX_BATCHES_PER_TASK batches, as one task does
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done, failed = (a - b for a, b in zip(_count_done(get_engine()), before, strict=True))
    return {"n": n, "done": done, "failed": failed, "per_s": round(n / wall, 1), "cpu_per_s": round(n / cpu, 1),
            "statements_per_1000": round(statements[0] * 1000 / n, 1)}


def run_config(database: str, model: str, n: int, workdir: Path, batch: int | None) -> dict:
    """One configuration in its own process (settings and the model are cached per process)."""
    pg_name = None
    if database == "sqlite":
        url = f"sqlite:///{workdir}/{model.replace(' ', '-')}.db"
    else:
        import psycopg

        pg_name = f"msgrouter_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    env = base_env(MSGROUTER_DATABASE_URL=url, MSGROUTER_BROKER_URL="memory://", MSGROUTER_LOG_LEVEL="ERROR",
                   MSGROUTER_MODEL_PATH=str(MODEL) if model == "shipped" else str(workdir / "no-model.npz"))
    try:
        out = subprocess.run([sys.executable, __file__, "--child", "--n", str(n),
                              *(["--batch", str(batch)] if batch else [])], env=env, cwd=workdir,
                             capture_output=True, text=True, check=False)
    finally:
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    if out.returncode != 0:
        sys.exit(f"bench/pipeline.py {database}, {model}: failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="pending messages drained by the timed call")
    parser.add_argument("--batch", type=int, help=f"messages a batch (default: the drain's, {DEFAULT_BATCH})")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.n, args.batch)))
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="msgrouter-pipeline-") as tmp:
        results = [(db, model, run_config(db, model, args.n, Path(tmp), args.batch)) for db, model in CONFIGS]
    print(f"pipeline alone: drain_inbound() over {args.n} pending mails in batches of "
          f"{args.batch or DEFAULT_BATCH}, after a warm-up of {WARMUP}, one process "
          f"(load average {os.getloadavg()[0]:.1f}; the machine may be shared)")
    print(f"  {'database':11} {'model':11} {'wall clock':>16} {'CPU time':>16} {'statements/1,000 msgs':>22}")
    for db, model, r in results:
        print(f"  {db:11} {model:11} {r['per_s']:>10} msg/s {r['cpu_per_s']:>10} msg/s {r['statements_per_1000']:>22}")
        if r["done"] + r["failed"] != r["n"] or r["failed"]:
            print(f"  {db}, {model}: {r['done']} done and {r['failed']} failed of {r['n']}")


if __name__ == "__main__":
    main()
