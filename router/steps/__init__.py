"""Pipeline steps, one module each, each with `run(ctx) -> None`; registered by module name."""
from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from router.context import Context

_MODULES = ("thread", "dedupe", "open", "classify", "route", "assign", "deadlines", "acknowledge")

STEP_FUNCTIONS: dict[str, Callable[[Context], None]] = {
    name: import_module(f"router.steps.{name}").run for name in _MODULES
}
