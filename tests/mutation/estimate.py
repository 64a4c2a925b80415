"""Estimate how long a full `make mutation` takes, from measured test durations.

Model: a mutant costs a fixed FIXED seconds (the child's pytest session), plus, if it
survives, every test that judges it (the tests mutmut's stats pass saw calling its function,
narrowed by tests/mutation/targets.toml), and if it is killed, KILLED_SHARE of them (mutmut
runs the fastest first and stops at the first failure). SURVIVING is the share of mutants
that survive. The durations come from `pytest --durations=0` of the named tests (setup,
call and teardown), the mutants and the test map from ./mutants after a run of mutmut.

    .venv/bin/python -m pytest -p no:cacheprovider -k "not postgresql" --durations=0 FILES > durations.txt
    .venv/bin/python tests/mutation/estimate.py durations.txt
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import re
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("durations", type=Path, help="output of pytest --durations=0")
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--fixed", type=float, default=0.9, help="seconds a mutant costs before its tests")
    parser.add_argument("--surviving", type=float, default=0.15, help="share of mutants that survive")
    parser.add_argument("--killed-share", type=float, default=0.25, help="share of its tests a killed mutant runs")
    args = parser.parse_args()

    took: Counter[str] = Counter()
    for line in args.durations.read_text("utf-8").splitlines():
        if m := re.match(r"([\d.]+)s (setup|call|teardown)\s+(\S+)", line):
            took[m.group(3)] += float(m.group(1))
    stats = json.loads((args.mutants / "mutmut-stats.json").read_text("utf-8"))["tests_by_mangled_function_name"]
    targets = tomllib.loads((HERE / "targets.toml").read_text("utf-8"))["modules"]

    def named(nodeid: str, pattern: str) -> bool:
        return fnmatch.fnmatch(nodeid if "::" in pattern else nodeid.split("::")[0], pattern)

    total = upper = 0.0
    for meta in sorted(args.mutants.rglob("*.py.meta")):
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        module = str(meta.relative_to(args.mutants))[:-len(".meta")]
        cost = worst = 0.0
        for function, count in Counter(name.rsplit("__mutmut_", 1)[0] for name in codes).items():
            tests = [t for t in stats.get(function, []) if any(named(t, p) for p in targets[module])]
            if not tests:
                continue  # no test runs: mutmut records it at once
            run_all = sum(took.get(t, 0.0) for t in tests)
            worst += count * (args.fixed + run_all)
            cost += count * (args.fixed + args.surviving * run_all
                             + (1 - args.surviving) * args.killed_share * run_all)
        total, upper = total + cost, upper + worst
        print(f"{module:32} {len(codes):5} mutants  {cost / 60:6.1f} min  (all surviving {worst / 60:6.1f} min)")
    print(f"{'total, one child':32} {'':13} {total / 60:6.1f} min  (all surviving {upper / 60:6.1f} min)")


if __name__ == "__main__":
    main()
