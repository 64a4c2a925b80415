"""bench/throughput.py never empties a Redis database that holds data: it refuses one
that is not empty and, after a run on an empty one, deletes only the keys it made."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis

BENCH = Path(__file__).resolve().parents[1] / "bench" / "throughput.py"


def _bench(n: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "MSGROUTER_BENCH_REDIS": os.environ["MSGROUTER_BROKER_URL"]}
    return subprocess.run([sys.executable, str(BENCH), "--mode", "redis-postgres", "--n", str(n)],
                          env=env, capture_output=True, text=True, timeout=300)


def test_bench_refuses_a_redis_database_that_holds_data(broker):
    broker.set("someone:else", b"precious")
    done = _bench(5)
    assert done.returncode != 0
    assert "holds 1 keys" in done.stderr and os.environ["MSGROUTER_BROKER_URL"] in done.stderr
    assert broker.get("someone:else") == b"precious" and broker.dbsize() == 1


def test_bench_leaves_an_empty_database_empty(broker):
    done = _bench(5)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"mode": "redis-postgres"' in done.stdout
    assert broker.dbsize() == 0, list(redis.Redis.from_url(os.environ["MSGROUTER_BROKER_URL"]).scan_iter())
