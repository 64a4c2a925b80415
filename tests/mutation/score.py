"""Print the mutation score of `make mutation` per module and in total, from mutmut's results
in ./mutants, and list each survivor that tests/mutation/equivalent.toml does not explain.

A survivor is keyed by its function and the lines the mutation changed (not by mutmut's
running number, which shifts whenever a function gains or loses a mutant), so an entry
in equivalent.toml keeps matching its mutant across runs until that line itself changes.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
EQUIVALENT = HERE / "equivalent.toml"
EQUIVALENT_PARTS = HERE / "equivalent"  # one file per module as well, so parallel work never collides
# Mutants a test written after the run kills, each checked by switching the mutant on by
# hand (MUTANT_UNDER_TEST, docs/mutation.md): full names, one a line. mutmut's numbering
# shifts when a function changes, so a list holds for the run it was made against only.
BY_HAND = HERE / "by_hand"
KILLED = {1, 3, 36, 37, -24, 24, 152, 255, -11, -9}  # failed test, timeout, type check, killed by signal
SURVIVED, NO_TESTS = 0, {5, 33}


def mutant_sources(mutated_file: Path) -> dict[str, str]:
    """The source of every `x_<func>__mutmut_<n|orig>` function in a mutated file."""
    source = mutated_file.read_text("utf-8")
    lines = source.splitlines()
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
            # The body without the def line (ast.get_source_segment rescans the whole file).
            found[node.name] = "\n".join(lines[node.body[0].lineno - 1:node.end_lineno])
    return found


def change_of(sources: dict[str, str], mangled: str) -> tuple[str, str, str]:
    """(removed, added, after): the lines a mutant changed against its function's original,
    and the unchanged line before them (to tell apart the same change made in two places,
    such as `continue` -> `break` in one function)."""
    orig = sources.get(mangled.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
    now = sources.get(mangled, "")
    diff = list(difflib.ndiff(orig.splitlines(), now.splitlines()))
    removed = "\n".join(line[2:].strip() for line in diff if line.startswith("- "))
    added = "\n".join(line[2:].strip() for line in diff if line.startswith("+ "))
    first = next((i for i, line in enumerate(diff) if line[:2] in ("- ", "+ ")), 0)
    after = next((line[2:].strip() for line in reversed(diff[:first]) if line.startswith("  ")), "")
    return removed, added, after


def is_equivalent(equivalent: set[tuple[str, str, str, str]], function: str, change: tuple[str, str, str]) -> bool:
    """An entry matches its function and changed lines; one with `after` also the line before."""
    removed, added, after = change
    return (function, removed, added, "") in equivalent or (function, removed, added, after) in equivalent


def function_of(mutant: str) -> str:
    """router.sla.deadlines.x_open_deadlines__mutmut_3 -> router.sla.deadlines.open_deadlines."""
    module, mangled = mutant.rsplit(".", 1)
    name = mangled.rsplit("__mutmut_", 1)[0]
    name = name[2:] if name.startswith("x_") else name.replace("xǁ", "").replace("ǁ", ".")
    return f"{module}.{name}"


def load_equivalent() -> set[tuple[str, str, str, str]]:
    files = [EQUIVALENT, *sorted(EQUIVALENT_PARTS.glob("*.toml"))]
    entries = [e for f in files if f.exists() for e in tomllib.loads(f.read_text("utf-8")).get("equivalent", [])]
    return {(e["function"], e["was"].strip(), e["now"].strip(), e.get("after", "").strip()) for e in entries}


def load_by_hand() -> set[str]:
    return {line.strip() for f in sorted(BY_HAND.glob("*.txt")) for line in f.read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def collect(root: Path) -> dict[str, list[tuple[str, int | None, tuple[str, str, str]]]]:
    """module path -> [(mutant name, exit code, (removed, added, after))]."""
    results = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        sources = mutant_sources(meta.with_suffix(""))
        module = str(meta.relative_to(root).with_suffix("").with_suffix(""))
        results[module] = [(name, code, change_of(sources, name.rsplit(".", 1)[1]))
                           for name, code in sorted(codes.items())]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's output folder")
    parser.add_argument("--quiet", action="store_true", help="scores only, no list of survivors")
    parser.add_argument("--module", action="append", default=[],
                        help="list only this module's survivors (router/steps/thread); repeatable")
    parser.add_argument("--times", action="store_true",
                        help="time per mutant and module, from mutation-times.jsonl (per_module_tests.py)")
    args = parser.parse_args()
    if args.times:
        return print_times(args.mutants)
    equivalent, by_hand = load_equivalent(), load_by_hand()
    total, open_survivors = Counter(), []
    print(f"{'module':32} {'mutants':>7} {'killed':>6} {'by hand':>7} {'equiv':>5} {'surv':>4} {'no test':>7} "
          f"{'unrun':>5}  score")
    for module, mutants in collect(args.mutants).items():
        row = Counter()
        for name, code, change in mutants:
            row["mutants"] += 1
            if code in KILLED:
                row["killed"] += 1
            elif code == SURVIVED or code in NO_TESTS:
                if is_equivalent(equivalent, function_of(name), change):
                    row["equiv"] += 1
                    continue
                if name in by_hand:
                    row["by hand"] += 1
                    continue
                row["surv" if code == SURVIVED else "no test"] += 1
                open_survivors.append((name, code, change))
            else:
                row["unrun"] += 1
        total.update(row)
        print(_line(module, row))
    print(_line("total", total))
    if not args.quiet:
        wanted = {m.removesuffix(".py").replace("/", ".") for m in args.module}
        for name, code, (removed, added, after) in open_survivors:
            if wanted and name.rsplit(".", 1)[0] not in wanted:
                continue
            print(f"\n{'SURVIVED' if code == SURVIVED else 'NO TEST'} {name} ({function_of(name)})")
            print(f"  after: {after}")
            print("  - " + removed.replace("\n", "\n  - "))
            print("  + " + added.replace("\n", "\n  + "))
    return 0


def print_times(root: Path) -> int:
    """Mean wall and CPU seconds per mutant, killed and surviving apart (a survivor runs all
    its module's tests, a killed mutant stops at the first that fails), per module."""
    times = {}
    log = root / "mutation-times.jsonl"
    for line in log.read_text("utf-8").splitlines() if log.exists() else []:
        record = json.loads(line)
        times[record["mutant"]] = record  # a mutant run again: its last time
    codes = {name: code for mutants in collect(root).values() for name, code, _ in mutants}
    rows: dict[str, dict[str, list[dict]]] = {}
    for name, record in times.items():
        outcome = "killed" if codes.get(name) in KILLED else "survived" if codes.get(name) == SURVIVED else "other"
        rows.setdefault(name.rsplit(".", 1)[0], {}).setdefault(outcome, []).append(record)
    print(f"{'module':32} {'timed':>5} {'wall s':>7} {'cpu s':>6}  "
          f"{'killed: n wall cpu':>20}  {'survived: n wall cpu':>22}")
    for module, by in sorted(rows.items()):
        every = [r for records in by.values() for r in records]
        print(f"{module:32} {len(every):5} {_mean(every, 'wall'):7.1f} {_mean(every, 'cpu'):6.1f}  "
              f"{_part(by.get('killed', [])):>20}  {_part(by.get('survived', [])):>22}")
    return 0


def _mean(records: list[dict], key: str) -> float:
    return sum(r[key] for r in records) / len(records) if records else 0.0


def _part(records: list[dict]) -> str:
    return f"{len(records)} {_mean(records, 'wall'):.1f} {_mean(records, 'cpu'):.1f}"


def _line(module: str, row: Counter) -> str:
    # Equivalent mutants cannot be killed: the score counts the others, and a mutant a
    # later test kills (checked by hand) as killed.
    killed = row["killed"] + row["by hand"]
    judged = killed + row["surv"] + row["no test"]
    score = f"{100 * killed / judged:5.1f}%" if judged else "    -"
    return (f"{module:32} {row['mutants']:7} {row['killed']:6} {row['by hand']:7} {row['equiv']:5} {row['surv']:4} "
            f"{row['no test']:7} {row['unrun']:5}  {score}")


if __name__ == "__main__":
    sys.exit(main())
