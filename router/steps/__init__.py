"""Pipeline steps, one module each, each with `run(batch) -> None`; registered by module name."""
from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from router.batch import Batch

_MODULES = ("thread", "dedupe", "open", "classify", "route", "assign", "deadlines", "acknowledge")

STEP_FUNCTIONS: dict[str, Callable[[Batch], None]] = {
    name: import_module(f"router.steps.{name}").run for name in _MODULES
}
