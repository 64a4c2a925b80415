"""Channel adapters, one module per channel, each exposing `parse` and `send`.

The registry below is the only place that knows which channels exist; everything else
asks `get_channel(name)`. A channel module also says how it threads
(`THREADS_BY_CUSTOMER`), how it names what we send (`new_external_id`), what we send
from (`our_address`) and, optionally, its `KIND`: channels of one kind speak the same
addresses and message ids (email, and the website form whose answers go by email), so a
customer's identities on them are one customer, and a reference on one names a message
of the other. Where one person has many spellings of an address, a channel also says
which one they all reach (`sender_key`; without it the address is its own key).
"""
from __future__ import annotations

from functools import cache
from importlib import import_module
from types import ModuleType

REGISTRY = {
    "email": "channels.email",
    "telegram": "channels.telegram",
    "chat": "channels.chat",
    "webform": "channels.webform",
    "wechat": "channels.wechat",
}


@cache
def get_channel(name: str) -> ModuleType:
    try:
        return import_module(REGISTRY[name])
    except KeyError:
        raise LookupError(f"unknown channel {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def kind_of(name: str) -> str:
    """The channel's kind: its `KIND`, or its own name when it shares addresses with no other."""
    return str(getattr(get_channel(name), "KIND", name))


@cache
def same_kind(name: str) -> tuple[str, ...]:
    """Every registered channel of `name`'s kind, `name` first."""
    kind = kind_of(name)
    return (name, *(other for other in REGISTRY if other != name and kind_of(other) == kind))
