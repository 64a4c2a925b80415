"""pytest plugin for `make mutation`: while mutmut tests a mutant, only the tests that
tests/mutation/targets.toml names for the mutated module run. mutmut's other runs (the
stats run that maps tests to functions, the clean run) take the tests any module names:
a test no module names judges no mutant, so running it there only cost time (those two
passes ran 571 tests, about six minutes on an idle core, where the named ones take two)."""
from __future__ import annotations

import fnmatch
import gc
import json
import os
import time
import tomllib
from pathlib import Path

import pytest

from tests.mutation import score

TARGETS: dict[str, list[str]] = tomllib.loads(
    Path(__file__).with_name("targets.toml").read_text("utf-8"))["modules"]


def module_of(mutant: str) -> str:
    """router.steps.dedupe.x_run__mutmut_3 -> router/steps/dedupe.py"""
    return mutant.rsplit(".", 1)[0].replace(".", "/") + ".py"


_started: list[float] = []  # this pytest's start (the module is imported once, by the fork server)
_root: list[Path] = []  # this pytest's rootdir: mutants/ under mutmut


def pytest_configure(config: pytest.Config) -> None:
    """Every module mutmut mutates must have its tests named, checked before any mutant runs."""
    _started[:] = [time.monotonic()]
    _root[:] = [config.rootpath]
    settings = tomllib.loads((config.rootpath / "pyproject.toml").read_text("utf-8"))
    patterns = settings["tool"]["mutmut"]["only_mutate"]
    mutated = {str(p.relative_to(config.rootpath)) for pattern in patterns
               for p in config.rootpath.glob(pattern) if p.name != "__init__.py"}
    missing = sorted(mutated - set(TARGETS))
    if missing:
        raise pytest.UsageError(f"tests/mutation/targets.toml names no tests for {', '.join(missing)}")


def _names(nodeid: str, pattern: str) -> bool:
    """A pattern names a test file ("tests/x/test_y*.py") or, with "::", tests in one
    ("tests/x/test_y.py::test_z*"), where the rest of the file is slow and says nothing
    about the module."""
    return fnmatch.fnmatch(nodeid if "::" in pattern else nodeid.split("::")[0], pattern)


def _patterns(mutant: str) -> list[str]:
    """The test files that judge `mutant`; for mutmut's own passes, every named file."""
    if "__mutmut_" in mutant:
        return TARGETS[module_of(mutant)]  # pytest_configure made sure it is there
    return sorted({p for patterns in TARGETS.values() for p in patterns})


# Mutants written down as equivalent (tests/mutation/equivalent*.toml, each with its reason)
# are not run: no test can kill one, so each cost a full pass over its module's tests
# (up to 30 s) to learn that again. An entry matches the changed line, so a mutant whose
# line has changed is judged again. MUTATION_RECHECK_EQUIVALENTS=1 runs them all anyway.
RECHECK = "MUTATION_RECHECK_EQUIVALENTS"
_equivalent_names: dict[str, set[str]] = {}  # module path -> its equivalent mutants' names


def _equivalents_of(root: Path, module: str) -> set[str]:
    """Filled once in mutmut's fork server (its warm-up collects), so each mutant's child
    inherits it instead of parsing the mutated file (0.4 s for redaction's)."""
    if module not in _equivalent_names:
        equivalent = score.load_equivalent()
        path = root / module
        sources = score.mutant_sources(path) if path.exists() else {}
        prefix = module.removesuffix(".py").replace("/", ".")
        _equivalent_names[module] = {
            f"{prefix}.{name}" for name in sources if not name.endswith("__mutmut_orig")
            and score.is_equivalent(equivalent, score.function_of(f"{prefix}.{name}"), score.change_of(sources, name))}
    return _equivalent_names[module]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST")
    if mutant is None:  # not under mutmut: an ordinary test run loaded the plugin by hand
        return
    if "__mutmut_" not in mutant and not os.environ.get(RECHECK):
        for module in TARGETS:  # mutmut's own passes, the fork server's warm-up among them
            _equivalents_of(config.rootpath, module)
    if "__mutmut_" in mutant and not os.environ.get(RECHECK) \
            and mutant in _equivalents_of(config.rootpath, module_of(mutant)):
        config.hook.pytest_deselected(items=list(items))
        items[:] = []  # pytest exits 5, "no tests": score.py counts it equivalent
        return
    patterns = _patterns(mutant)
    keep = [i for i in items if any(_names(i.nodeid, p) for p in patterns)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    if "__mutmut_" in mutant:
        keep = _likely_killers_first(config.rootpath, mutant, keep)
    items[:] = keep


# Which test failed first for each mutant, one JSON line each. mutmut stops a mutant at its
# first failing test (-x) and hands the tests over in no useful order (a set's). Mutants of
# one function mostly fall to the same test, so each mutant runs first the tests that
# killed its function's earlier mutants, then those that killed its module's, then the
# rest fastest first (mutmut's stats pass timed them). The order changes which test
# catches a mutant, never whether one does: every test still runs on a survivor.
KILLERS = "mutation-killers.jsonl"


def _function_of(mutant: str) -> str:
    return mutant.rsplit("__mutmut_", 1)[0]


def _likely_killers_first(root: Path, mutant: str, items: list[pytest.Item]) -> list[pytest.Item]:
    function, module = _function_of(mutant), module_of(mutant)
    rank: dict[str, tuple[int, float]] = {}
    try:
        lines = (root / KILLERS).read_text("utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    for n, line in enumerate(lines):  # later lines rank higher: the newest killer first
        try:
            seen = json.loads(line)
        except ValueError:  # a line a killed child left half written
            continue
        if seen.get("function") == function:
            rank[seen["test"]] = (0, -n)
        elif module_of(seen.get("function", "")) == module:
            rank.setdefault(seen["test"], (1, -n))
    try:
        durations = json.loads((root / "mutmut-stats.json").read_text("utf-8"))["duration_by_test"]
    except (FileNotFoundError, KeyError, ValueError):
        durations = {}
    return sorted(items, key=lambda i: rank.get(i.nodeid, (2, durations.get(i.nodeid, 0.0))))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant or not report.failed:
        return
    line = json.dumps({"function": _function_of(mutant), "test": report.nodeid}) + "\n"
    # One write of a short line in append mode: the two children's lines do not mix.
    with (_root[0] / KILLERS).open("a", encoding="utf-8") as out:
        out.write(line)


def _freeze_the_heap() -> None:
    """After mutmut's own passes, the fork server's warm-up among them: every object this
    process holds moves to the collector's permanent generation, so that a mutant's child
    does not walk them in each collection. It did at every pytest exit (pytest's
    unraisable-exception hook collects twice, 0.21 of the 0.34 s a child's pytest took to
    list one test file) and in each full collection while the tests ran, touching, and so
    copying, every page it had inherited from the fork server."""
    gc.collect()
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Each mutant's time, wall and CPU, to mutants/mutation-times.jsonl (mutmut's fork
    server keeps none): tests/mutation/score.py --times sums them per module. The CPU is
    the child's own (a forked child starts from zero), the figure that says what the run
    costs on idle cores when the host is shared."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant:
        if "MUTANT_UNDER_TEST" in os.environ:  # mutmut's own pass, not a plain test run
            _freeze_the_heap()
        return
    cpu = os.times()
    record = {"mutant": mutant, "wall": round(time.monotonic() - _started[0], 3),
              "cpu": round(cpu.user + cpu.system + cpu.children_user + cpu.children_system, 3)}
    with (config.rootpath / "mutation-times.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
