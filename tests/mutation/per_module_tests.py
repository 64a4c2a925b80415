"""pytest plugin for `make mutation`: while mutmut tests a mutant, only the tests that
tests/mutation/targets.toml names for the mutated module run. mutmut's other runs (the
stats run that maps tests to functions, the clean run) take the tests any module names:
a test no module names judges no mutant, so running it there only cost time (those two
passes ran 571 tests, about six minutes on an idle core, where the named ones take two)."""
from __future__ import annotations

import fnmatch
import json
import os
import time
import tomllib
from pathlib import Path

import pytest

TARGETS: dict[str, list[str]] = tomllib.loads(
    Path(__file__).with_name("targets.toml").read_text("utf-8"))["modules"]


def module_of(mutant: str) -> str:
    """router.steps.dedupe.x_run__mutmut_3 -> router/steps/dedupe.py"""
    return mutant.rsplit(".", 1)[0].replace(".", "/") + ".py"


_started: list[float] = []  # this pytest's start (the module is imported once, by the fork server)


def pytest_configure(config: pytest.Config) -> None:
    """Every module mutmut mutates must have its tests named, checked before any mutant runs."""
    _started[:] = [time.monotonic()]
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST")
    if mutant is None:  # not under mutmut: an ordinary test run loaded the plugin by hand
        return
    patterns = _patterns(mutant)
    keep = [i for i in items if any(_names(i.nodeid, p) for p in patterns)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def pytest_unconfigure(config: pytest.Config) -> None:
    """Each mutant's time, wall and CPU, to mutants/mutation-times.jsonl (mutmut's fork
    server keeps none): tests/mutation/score.py --times sums them per module. The CPU is
    the child's own (a forked child starts from zero), the figure that says what the run
    costs on idle cores when the host is shared."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant:
        return
    cpu = os.times()
    record = {"mutant": mutant, "wall": round(time.monotonic() - _started[0], 3),
              "cpu": round(cpu.user + cpu.system + cpu.children_user + cpu.children_system, 3)}
    with (config.rootpath / "mutation-times.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
