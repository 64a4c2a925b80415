"""Text every database we run on can store: one function cleans every text field of an Inbound.

PostgreSQL refuses NUL in text and JSON, and neither driver can encode a lone surrogate
(what undecodable header bytes become under "surrogateescape"). Such a character in any
field used to fail the insert on every retry, so the sender heard 451 for ever. Intake
calls `storable` on every Inbound, whatever its channel, before anything else reads it.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

from channels.base import Attachment, Inbound

_NUL = re.compile("\x00")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
T = TypeVar("T", Inbound, Attachment)


def storable_text(text: str) -> str:
    """`text` without NUL, each lone surrogate replaced by U+FFFD; other text unchanged."""
    return _LONE_SURROGATE.sub("\ufffd", _NUL.sub("", text))


def storable(record: T) -> T:
    """A copy of `record` (an Inbound or an Attachment) with every text field, every string
    in a list and every attachment made storable. Bytes (attachment data) stay as they are."""
    changes = {f.name: _clean(getattr(record, f.name)) for f in dataclasses.fields(record)}
    return dataclasses.replace(record, **changes)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, Attachment):
        return storable(value)
    return value
