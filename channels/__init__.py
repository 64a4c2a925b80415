"""Channel adapters, one module per channel, each exposing `parse` and `send`.

The registry below is the only place that knows which channels exist; everything else
asks `get_channel(name)`. A channel module also says how it threads
(`THREADS_BY_CUSTOMER`), how it names what we send (`new_external_id`), what we
send from (`our_address`) and, where one person has many spellings of an address, which
one they all reach (`sender_key`; without it the address is its own key).
"""
from __future__ import annotations

from functools import cache
from importlib import import_module
from types import ModuleType

REGISTRY = {
    "email": "channels.email",
}


@cache
def get_channel(name: str) -> ModuleType:
    try:
        return import_module(REGISTRY[name])
    except KeyError:
        raise LookupError(f"unknown channel {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
