"""End-to-end throughput of msgrouter against a queue that does nothing, in one run.

msgrouter: the generated benchmark mail (bench/mailgen.py) is sent through real SMTP by
4 concurrent clients into our SMTP server, and timed from the first connection until the
last measured message is done and the last acknowledgement it caused has been delivered
to a counting sink (an aiosmtpd server on loopback, its own process) and marked sent.
Two modes, each in its own processes and started as an operator starts them: embedded
(`msgrouter run`: SQLite, in-process broker and worker, ticker), and Redis + PostgreSQL
(`msgrouter smtp`, `worker --pool threads --concurrency 4` and `beat` on Redis, with a
fresh PostgreSQL database created and dropped by the benchmark). A warm-up of other
customers' mail goes first; only messages after it are counted.

The naive design (bench/naive.py): the same number of messages, each enqueued as one
Celery task on Redis and consumed by a worker whose task does nothing, timed from the
first enqueue to the last task done.

Latency: afterwards each mode gets mail at a steady 200 messages/s offered; accepted is
the message row's created_at (set by intake), assigned is its processed_at (the
pipeline's clock when it began the batch that threaded, routed, assigned the message
and set its deadlines; the `assigned` event carries the same time). Also shown: when the
benchmark first saw the row done, committed (polled every 20 ms). Memory: the peak
resident set of each process involved (children included), from /proc.

    .venv/bin/python bench/throughput.py [--n 2000] [--steady 2000] [--quick]

The last line is `ratio: X`, msgrouter's embedded end-to-end rate over the naive rate.
Redis (MSGROUTER_BENCH_REDIS) must be an empty database: the benchmark refuses one that
holds keys and afterwards deletes only the keys its run made.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from feed import CLIENTS, relabel, send_burst, send_paced  # noqa: E402
from mailgen import generate  # noqa: E402
from procmem import own_peak_rss_mb  # noqa: E402
from stack import REDIS, Stack, base_env, delete_run_keys, empty_redis_or_exit, free_port  # noqa: E402

WARMUP = 50
STEADY_RATE = 200.0  # messages/s offered in the latency phase
MODES = ("embedded", "redis-postgres")


T0 = time.perf_counter()


def say(what: str) -> None:
    """Progress on stderr, so stdout holds only the figures."""
    print(f"bench [{time.perf_counter() - T0:5.1f} s] {what}", file=sys.stderr, flush=True)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


class CountingSink:
    """bench/sink_counter.py in its own process."""

    def __enter__(self) -> "CountingSink":
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "sink_counter.py"), str(self.port)],
                                     env=base_env(), stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the counting sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        self.report = json.loads(out.strip().splitlines()[-1])


def _burst(stack: Stack, watch, messages: list) -> dict:  # noqa: ANN001
    """Send `messages` as fast as accepted; time to the last acknowledgement delivered."""
    since = watch.baseline()
    start = time.perf_counter()
    send_burst(stack.smtp_port, messages)
    accepted = time.perf_counter()
    seen = watch.wait_finished(since, len(messages), timeout=900, on_poll=stack.check_alive)
    finished = time.perf_counter()
    return {"n": len(messages), "intake_per_s": round(len(messages) / (accepted - start), 1),
            "end_to_end_per_s": round(len(messages) / (finished - start), 1),
            "seconds": round(finished - start, 2), "done": seen.inbound_done, "failed": seen.inbound_failed,
            "acks_sent": seen.outbound_sent, "acks_failed": seen.outbound_failed}


def _steady(stack: Stack, watch, messages: list) -> dict:  # noqa: ANN001
    """Send at STEADY_RATE; accepted-to-assigned latency of each message, in ms."""
    from watch import SeenDone

    since = watch.baseline()
    with SeenDone(watch, since) as seen:
        offered = send_paced(stack.smtp_port, messages, STEADY_RATE)
        watch.wait_finished(since, len(messages), timeout=900, on_poll=stack.check_alive)
        times = watch.times(since)
        seen.wait_for(times.keys())
    processed = [(p - c).total_seconds() * 1000 for c, p in times.values()]
    committed = [(seen.first_seen[i] - c).total_seconds() * 1000 for i, (c, _) in times.items()
                 if i in seen.first_seen]
    return {"steady_n": len(messages), "offered_per_s": round(offered, 1),
            "p50_ms": round(_percentile(processed, 0.5), 1), "p99_ms": round(_percentile(processed, 0.99), 1),
            "seen_p50_ms": round(_percentile(committed, 0.5), 1),
            "seen_p99_ms": round(_percentile(committed, 0.99), 1)}


def run_mode(mode: str, n: int, steady: int) -> dict:
    """Start `mode`'s stack, warm it up, measure throughput then latency, stop it."""
    from watch import Watch

    workdir = Path(tempfile.mkdtemp(prefix="msgrouter-bench-"))
    result: dict = {"mode": mode}
    try:
        with CountingSink() as sink:
            stack = Stack(mode, workdir, sink.port)
            try:
                stack.start()
                say(f"{mode}: listening")
                watch = Watch(stack.url)
                try:
                    _burst(stack, watch, relabel(generate(WARMUP, seed=1), "warmup"))
                    say(f"{mode}: warmed up")
                    result.update(_burst(stack, watch, generate(n)))
                    say(f"{mode}: {n} mails done")
                    result.update(_steady(stack, watch, relabel(generate(steady, seed=11), "steady")))
                    say(f"{mode}: steady phase done")
                    result["peak_rss_mb"] = stack.peak_rss()
                finally:
                    watch.close()
            finally:
                stack.stop()
        result["sink_received"] = sink.report["received"]
    finally:
        if mode != "embedded":
            delete_run_keys()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def run_naive(n: int) -> dict:
    """The reference in the same run: n no-op Celery tasks on Redis."""
    import naive
    from procmem import peak_rss_mb

    env = base_env(MSGROUTER_BENCH_REDIS=REDIS)
    try:
        with naive.NaiveWorker(env, concurrency=os.cpu_count() or 1) as worker:
            naive.run_tasks(WARMUP, CLIENTS, timeout=120)  # also waits for the worker to start
            say("naive: warmed up")
            seconds = naive.run_tasks(n, CLIENTS)
            say(f"naive: {n} tasks done")
            rss = peak_rss_mb(worker.proc.pid)
    finally:
        delete_run_keys()
    return {"mode": "naive", "n": n, "end_to_end_per_s": round(n / seconds, 1), "seconds": round(seconds, 2),
            "peak_rss_mb": {"celery worker": rss}}


def _memory(rss: dict[str, float]) -> str:
    return f"{sum(rss.values()):.0f} MB (" + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()) + ")"


def report(results: dict[str, dict], n: int, steady: int) -> None:
    load = os.getloadavg()[0]
    print(f"throughput: {n} generated mails per mode, {CLIENTS} concurrent SMTP clients, "
          f"{os.cpu_count()} cores (load average {load:.1f} at the end; the machine may be shared)")
    print(f"  {'mode':16} {'intake msg/s':>12} {'end-to-end msg/s':>17} {'seconds':>8}  peak RSS")
    for mode, r in results.items():
        intake = r.get("intake_per_s", "-")
        print(f"  {mode:16} {intake:>12} {r['end_to_end_per_s']:>17} {r['seconds']:>8}  {_memory(r['peak_rss_mb'])}")
    for mode in MODES:
        if mode in results:
            r = results[mode]
            print(f"  {mode}: measured {r['done']} done, {r['failed']} failed; {r['acks_sent']} acknowledgements "
                  f"delivered, {r['acks_failed']} given up; the sink received {r['sink_received']} in all")
    print(f"latency, accepted (created_at) -> assigned (processed_at), {steady} mails at "
          f"{STEADY_RATE:.0f} msg/s offered:")
    for mode in MODES:
        if mode in results:
            r = results[mode]
            print(f"  {mode:16} offered {r['offered_per_s']:6.1f} msg/s  p50 {r['p50_ms']:7.1f} ms  "
                  f"p99 {r['p99_ms']:7.1f} ms  (seen committed: p50 {r['seen_p50_ms']:.1f} ms, "
                  f"p99 {r['seen_p99_ms']:.1f} ms)")
    print(f"bench's own processes: SMTP clients and poller {own_peak_rss_mb():.0f} MB peak RSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, help="messages per mode (default 2000; 300 with --quick)")
    parser.add_argument("--steady", type=int, help="messages of the latency phase (default: as many as --n)")
    parser.add_argument("--quick", action="store_true", help="a smaller run, under 50 s")
    parser.add_argument("--mode", choices=MODES, help="one mode only, printed as one JSON line")
    args = parser.parse_args()
    n = args.n or (300 if args.quick else 2000)
    steady = args.steady or n
    if args.mode:
        if args.mode != "embedded":
            empty_redis_or_exit()   # before anything is created
        print(json.dumps(run_mode(args.mode, n, steady)))
        return
    empty_redis_or_exit()
    results = {"naive": run_naive(n)}
    for mode in MODES:
        results[mode] = run_mode(mode, n, steady)
    report(results, n, steady)
    print(f"ratio: {results['embedded']['end_to_end_per_s'] / results['naive']['end_to_end_per_s']:.2f}")


if __name__ == "__main__":
    main()
