"""pytest plugin for `make mutation`: while mutmut tests a mutant, only the tests that
tests/mutation/targets.toml names for the mutated module run. mutmut's other runs (the
stats run that maps tests to functions, the clean run) take every selected test."""
from __future__ import annotations

import fnmatch
import os
import tomllib
from pathlib import Path

import pytest

TARGETS: dict[str, list[str]] = tomllib.loads(
    Path(__file__).with_name("targets.toml").read_text("utf-8"))["modules"]


def module_of(mutant: str) -> str:
    """router.steps.dedupe.x_run__mutmut_3 -> router/steps/dedupe.py"""
    return mutant.rsplit(".", 1)[0].replace(".", "/") + ".py"


def pytest_configure(config: pytest.Config) -> None:
    """Every module mutmut mutates must have its tests named, checked before any mutant runs."""
    settings = tomllib.loads((config.rootpath / "pyproject.toml").read_text("utf-8"))
    patterns = settings["tool"]["mutmut"]["only_mutate"]
    mutated = {str(p.relative_to(config.rootpath)) for pattern in patterns
               for p in config.rootpath.glob(pattern) if p.name != "__init__.py"}
    missing = sorted(mutated - set(TARGETS))
    if missing:
        raise pytest.UsageError(f"tests/mutation/targets.toml names no tests for {', '.join(missing)}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant:
        return
    module = module_of(mutant)
    patterns = TARGETS[module]  # pytest_configure made sure it is there
    keep = [i for i in items if any(fnmatch.fnmatch(i.nodeid.split("::")[0], p) for p in patterns)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
