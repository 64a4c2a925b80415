"""Pipeline steps, one module each, each with `run(batch) -> None`; registered by module name.

A step may also have `prepare(messages) -> {message id: result}`: work that needs no
database, which the pipeline does before it opens the batch's write transaction, so
SQLite's one write lock is not held while, say, the triage rules and model read; its
messages are the claimed rows, whole, as the batch's steps will see them.
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
