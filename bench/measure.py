"""What bench/throughput.py measures, one system at a time: a msgrouter mode (its stack,
its counting sink and the benchmark's view of its database) or the naive queue. Each
starts, warms up, is measured and stops; the caller decides what runs alongside what."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import naive
from feed import CLIENTS, relabel, send_burst, send_paced
from mailgen import generate
from procmem import peak_rss_mb
from stack import REDIS, ROOT, Stack, base_env, free_port
from watch import SeenDone, Watch

WARMUP = 30  # mails (or tasks) before anything is timed: imports, the model, connections
STEADY_RATE = 200.0  # messages/s offered in the latency phase


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


class CountingSink:
    """bench/sink_counter.py in its own process: the relay msgrouter delivers to."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "sink_counter.py"), str(self.port)],
                                     env=base_env(), stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the counting sink did not start")

    def stop(self) -> dict:
        """Mails received, and the sink's peak memory."""
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])


class ModeRun:
    def __init__(self, mode: str) -> None:
        self.mode, self.result = mode, {"mode": mode}
        self.workdir = Path(tempfile.mkdtemp(prefix="msgrouter-bench-"))
        self.sink = self.stack = self.watch = None

    def start(self) -> None:
        self.sink = CountingSink()
        self.stack = Stack(self.mode, self.workdir, self.sink.port)
        self.stack.start()
        self.watch = Watch(self.stack.url)

    def warm_up(self) -> None:
        self._burst(relabel(generate(WARMUP, seed=1), "warmup"))

    def measure(self, n: int, steady: int) -> None:
        self.result.update(self._burst(generate(n)))
        self.result.update(self._steady(relabel(generate(steady, seed=11), "steady")))
        self.result["peak_rss_mb"] = self.stack.peak_rss()

    def _burst(self, messages: list) -> dict:
        """Send `messages` as fast as accepted; time to the last acknowledgement delivered."""
        since, n = self.watch.baseline(), len(messages)
        held_before = self.stack.write_lock()
        start = time.perf_counter()
        send_burst(self.stack.smtp_port, messages)
        accepted = time.perf_counter()
        seen = self.watch.wait_finished(since, n, timeout=900, on_poll=self.stack.check_alive)
        finished = time.perf_counter()
        held = self.stack.write_lock()
        return {"write_lock_share": {writer: round((seconds - held_before.get(writer, 0.0)) / (finished - start), 3)
                                     for writer, seconds in held.items()},
                "n": n, "intake_per_s": round(n / (accepted - start), 1),
                "end_to_end_per_s": round(n / (finished - start), 1), "seconds": round(finished - start, 2),
                "done": seen.inbound_done, "failed": seen.inbound_failed,
                "acks_sent": seen.outbound_sent, "acks_failed": seen.outbound_failed}

    def _steady(self, messages: list) -> dict:
        """Send at STEADY_RATE; accepted-to-assigned latency of each message, in ms."""
        since = self.watch.baseline()
        with SeenDone(self.watch, since) as seen:
            offered = send_paced(self.stack.smtp_port, messages, STEADY_RATE)
            self.watch.wait_finished(since, len(messages), timeout=900, on_poll=self.stack.check_alive)
            times = self.watch.times(since)
            seen.wait_for(times.keys())
        processed = [(p - c).total_seconds() * 1000 for c, p in times.values()]
        committed = [(seen.first_seen[i] - c).total_seconds() * 1000 for i, (c, _) in times.items()
                     if i in seen.first_seen]
        return {"steady_n": len(messages), "offered_per_s": round(offered, 1),
                "p50_ms": round(percentile(processed, 0.5), 1), "p99_ms": round(percentile(processed, 0.99), 1),
                "seen_p50_ms": round(percentile(committed, 0.5), 1),
                "seen_p99_ms": round(percentile(committed, 0.99), 1)}

    def stop(self) -> None:
        """Idempotent; the Redis keys are the caller's to delete, once nothing uses them."""
        if self.watch:
            self.watch.close()
            self.watch = None
        if self.stack:
            self.stack.stop()
            self.stack = None
        if self.sink:
            report = self.sink.stop()
            self.result.update(sink_received=report["received"], sink_rss_mb=report["peak_rss_mb"])
            self.sink = None
        shutil.rmtree(self.workdir, ignore_errors=True)


class NaiveRun:
    """The reference: n no-op Celery tasks on Redis (bench/naive.py). Measured twice, before
    and after msgrouter, so that neighbours' load during one pass does not decide it."""

    again = True

    def __init__(self) -> None:
        self.result = {"mode": "naive"}
        self.worker: naive.NaiveWorker | None = None

    def start(self) -> None:
        self.worker = naive.NaiveWorker(base_env(MSGROUTER_BENCH_REDIS=REDIS), concurrency=os.cpu_count() or 1)
        self.worker.__enter__()

    def warm_up(self) -> None:
        naive.run_tasks(WARMUP, CLIENTS, timeout=180)  # also waits for the worker to start

    def measure(self, n: int, steady: int) -> None:
        """One pass; called again, the faster pass counts (`passes` keeps both rates)."""
        seconds = naive.run_tasks(n, CLIENTS)
        rate = round(n / seconds, 1)
        passes = [*self.result.get("passes", []), rate]
        if rate >= max(passes):
            self.result.update(n=n, end_to_end_per_s=rate, seconds=round(seconds, 2))
        self.result.update(passes=passes, peak_rss_mb={"celery worker": peak_rss_mb(self.worker.proc.pid)})

    def stop(self) -> None:
        if self.worker:
            self.worker.__exit__()
            self.worker = None
