"""The benchmarks run and print every figure: bench/throughput.py (naive queue, embedded,
Redis + PostgreSQL; messages/s, latency, memory, and the `ratio:` last line) and
bench/pipeline.py (SQLite and PostgreSQL, with and without the model). No figure is
judged here: the machine is shared and the numbers are the benchmarks' to report."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
NUMBER = r"\d+(?:\.\d+)?"


def _run(script: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    # The benchmark's Redis is the tests' database (emptied by the `broker` fixture).
    env = {**os.environ, "MSGROUTER_BENCH_REDIS": os.environ["MSGROUTER_BROKER_URL"]}
    done = subprocess.run([sys.executable, str(BENCH / script), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_throughput_quick_prints_every_figure_and_ends_with_the_ratio(broker):
    n = 20
    out = _run("throughput.py", "--quick", "--n", str(n), "--steady", "30").stdout
    lines = out.strip().splitlines()
    for mode in ("naive", "embedded", "redis-postgres"):
        assert re.search(rf"^  {mode} .* {NUMBER} +{NUMBER}  {NUMBER} MB \(", out, re.M), (mode, out)
    for mode in ("embedded", "redis-postgres"):
        # Only the measured mails count: the warm-up's are neither done nor acknowledged here.
        assert re.search(rf"^  {mode}: measured {n} done, 0 failed; {NUMBER} acknowledgements delivered", out,
                         re.M), (mode, out)
        assert re.search(rf"^  {mode} +offered +{NUMBER} msg/s +p50 +{NUMBER} ms +p99 +{NUMBER} ms", out,
                         re.M), (mode, out)
    # Who held SQLite's write lock, read from the embedded run's own /metrics.
    assert re.search(r"^  embedded: SQLite's write lock was held \d+% of the measured run: .*\bdrain \d+%.*$",
                     out, re.M), out
    assert re.fullmatch(r"ratio: \d+\.\d\d", lines[-1]), lines[-1]
    assert broker.dbsize() == 0  # only its own keys, all deleted


@pytest.mark.slow
def test_pipeline_bench_prints_both_databases_with_and_without_the_model():
    out = _run("pipeline.py", "--n", "30").stdout
    for database in ("sqlite", "postgresql"):
        for model in ("shipped", "rules only"):
            assert re.search(rf"^  {database} +{model} +{NUMBER} msg/s +{NUMBER} msg/s +{NUMBER}$", out, re.M), \
                (database, model, out)
    assert "failed" not in out, out
