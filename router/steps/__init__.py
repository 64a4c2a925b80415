"""Pipeline steps, one module each, each with `run(batch) -> None`; registered by module name.

A step may also have `prepare(messages) -> {message id: result}`: work that needs no
database, which the pipeline does before it opens the batch's write transaction, so
SQLite's one write lock is not held while, say, the triage rules and model read; its
messages carry only the columns the module names in `PREPARE_COLUMNS`.
"""
from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from router.queue.batch import Batch
from router.storage.rows import Row

_MODULES = ("thread", "rating", "dedupe", "automatic", "repeat", "open", "classify", "route", "assign", "deadlines",
            "acknowledge")

STEP_FUNCTIONS: dict[str, Callable[[Batch], None]] = {
    name: import_module(f"router.steps.{name}").run for name in _MODULES
}
PREPARE_FUNCTIONS: dict[str, Callable[[list[Row]], dict[int, Any]]] = {
    name: module.prepare for name in _MODULES
    if hasattr(module := import_module(f"router.steps.{name}"), "prepare")
}
# The message columns the `prepare` functions read (each names its own in PREPARE_COLUMNS):
# only these are loaded for them, not the whole row with its JSON to decode.
PREPARE_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(
    ["id", *(c for name in PREPARE_FUNCTIONS for c in import_module(f"router.steps.{name}").PREPARE_COLUMNS)]))
