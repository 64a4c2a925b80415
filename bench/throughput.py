"""End-to-end throughput of msgrouter against a queue that does nothing, in one run.

msgrouter: the generated benchmark mail (bench/mailgen.py) is sent through real SMTP by
4 concurrent clients into our SMTP server, and timed from the first connection until the
last measured message is done and the last acknowledgement it caused has been delivered
to a counting sink (an aiosmtpd server on loopback, its own process) and marked sent.
Two modes, each in its own processes and started as an operator starts them: embedded
(`msgrouter run`: SQLite, in-process broker and worker, ticker), and Redis + PostgreSQL
(`msgrouter smtp`, `worker --pool threads --concurrency 4` and `beat` on Redis, with a
fresh PostgreSQL database created and dropped by the benchmark). A warm-up of other
customers' mail goes first; only the messages after it are counted.

The naive design (bench/naive.py): the same number of messages, each enqueued as one
Celery task on Redis and consumed by a worker whose task does nothing, timed from the
first enqueue to the last task done; once before msgrouter's modes and once after, and
the faster pass counts (both are printed).

Latency: then each mode gets other mail at a steady 200 messages/s offered; accepted is
the message row's created_at (set by intake), assigned is its processed_at (the
pipeline's clock when it began the batch that threaded, routed, assigned the message
and set its deadlines; the `assigned` event carries the same time). Also shown: when the
benchmark first saw the row done, committed (polled every 20 ms). Memory: the peak
resident set of each process involved (children included), from /proc.

All three systems start and warm up at the same time, then are measured one after the
other, each stopped once measured (the naive worker after its second pass); those
waiting meanwhile are idle but for msgrouter's tick every 5 s.

    .venv/bin/python bench/throughput.py [--n 2000] [--steady N] [--quick]

The last line is `ratio: X`, msgrouter's embedded end-to-end rate over the naive rate.
Redis (MSGROUTER_BENCH_REDIS) must be an empty database: the benchmark refuses one that
holds keys and afterwards deletes only the keys its run made.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from feed import CLIENTS  # noqa: E402
from measure import STEADY_RATE, ModeRun, NaiveRun  # noqa: E402
from procmem import own_peak_rss_mb  # noqa: E402
from stack import delete_run_keys, empty_redis_or_exit  # noqa: E402

MODES = ("embedded", "redis-postgres")
T0 = time.perf_counter()


def say(what: str) -> None:
    """Progress on stderr, so that stdout holds only the figures."""
    print(f"bench [{time.perf_counter() - T0:5.1f} s] {what}", file=sys.stderr, flush=True)


def _all(calls: list) -> None:
    """Run the calls at once; the first error is raised."""
    with ThreadPoolExecutor(len(calls)) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()


def run(runs: dict, n: int, steady: int) -> dict[str, dict]:
    """Start and warm up every system together, then measure each alone and stop it."""
    try:
        _all([r.start for r in runs.values()])
        say("started: " + ", ".join(runs))
        _all([r.warm_up for r in runs.values()])
        say("warmed up")
        for name, r in runs.items():
            r.measure(n, steady)
            if not getattr(r, "again", False):
                r.stop()
            say(f"{name} measured")
        for name, r in runs.items():
            if getattr(r, "again", False):
                r.measure(n, steady)
                say(f"{name} measured again")
    finally:
        for r in runs.values():
            r.stop()
        if set(runs) != {"embedded"}:
            delete_run_keys()  # only now: until the last stops, the keys are in use
    return {name: r.result for name, r in runs.items()}


def _memory(rss: dict[str, float]) -> str:
    return f"{sum(rss.values()):.0f} MB (" + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()) + ")"


def report(results: dict[str, dict], n: int, steady: int) -> None:
    print(f"throughput: {n} generated mails per mode, {CLIENTS} concurrent SMTP clients, {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.1f} at the end; the machine may be shared)")
    print(f"  {'mode':16} {'intake msg/s':>12} {'end-to-end msg/s':>17} {'seconds':>8}  peak RSS")
    for mode, r in results.items():
        intake = r.get("intake_per_s", "-")
        print(f"  {mode:16} {intake:>12} {r['end_to_end_per_s']:>17} {r['seconds']:>8}  {_memory(r['peak_rss_mb'])}")
    if "naive" in results:
        print(f"  naive: passes before and after msgrouter {' and '.join(map(str, results['naive']['passes']))}"
              f" tasks/s; the faster counts")
    for mode in MODES:
        r = results[mode]
        print(f"  {mode}: measured {r['done']} done, {r['failed']} failed; {r['acks_sent']} acknowledgements "
              f"delivered, {r['acks_failed']} given up; the sink received {r['sink_received']} in all")
    share = results["embedded"].get("write_lock_share") or {}
    if share:
        print(f"  embedded: SQLite's write lock was held {sum(share.values()):.0%} of the measured run: "
              + ", ".join(f"{writer} {part:.0%}" for writer, part in sorted(share.items(), key=lambda kv: -kv[1])
                          if part >= 0.005))
    print(f"latency, accepted (created_at) -> assigned (processed_at), {steady} mails at "
          f"{STEADY_RATE:.0f} msg/s offered:")
    for mode in MODES:
        r = results[mode]
        print(f"  {mode:16} offered {r['offered_per_s']:6.1f} msg/s  p50 {r['p50_ms']:7.1f} ms  "
              f"p99 {r['p99_ms']:7.1f} ms  (seen committed: p50 {r['seen_p50_ms']:.1f} ms, "
              f"p99 {r['seen_p99_ms']:.1f} ms)")
    sinks = max(results[mode]["sink_rss_mb"] for mode in MODES)
    print(f"  the benchmark's own processes: SMTP clients and poller {own_peak_rss_mb():.0f} MB, "
          f"each counting sink up to {sinks:.0f} MB peak RSS")


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
        print(json.dumps(run({args.mode: ModeRun(args.mode)}, n, steady)[args.mode]))
        return
    empty_redis_or_exit()
    results = run({"naive": NaiveRun(), **{mode: ModeRun(mode) for mode in MODES}}, n, steady)
    report(results, n, steady)
    print(f"ratio: {results['embedded']['end_to_end_per_s'] / results['naive']['end_to_end_per_s']:.2f}")


if __name__ == "__main__":
    main()
