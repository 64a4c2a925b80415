"""Logging set-up: every record passes through the redactor before any handler sees it,
so a secret that reaches a log call (an exception message quoting a customer, a
library's debug line) is still never written.

Two formats, one pipeline: "text" (a human line, the console's default) and "json" (one
object per line, for log shippers). A line about a message or a conversation carries its
id as a field: passed with `extra=log_extra(...)`, or set for a whole block with `log_ids(...)`
(the web app sets the conversation of each request that names one).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from router.secrets.redact import redact

ID_FIELDS = ("message_id", "conversation_id")
# The ids of the work in hand (a request, a block of the worker), merged into every record
# logged inside it that does not name its own. A mapping that may be filled later: the web
# app hands in the request's path parameters before routing has found them.
_context: ContextVar[Mapping[str, Any] | None] = ContextVar("msgrouter_log_ids", default=None)
_STANDARD = frozenset(RESERVED_ATTRS) | {"message", "asctime"}


def log_extra(message_id: int | None = None, conversation_id: int | None = None) -> dict[str, int]:
    """`extra=` for a log call about a message and/or a conversation."""
    return {k: v for k, v in (("message_id", message_id), ("conversation_id", conversation_id)) if v is not None}


@contextmanager
def log_ids(values: Mapping[str, Any]) -> Iterator[None]:
    """Every record logged inside the block carries these ids (read when the record is made)."""
    token = _context.set(values)
    try:
        yield
    finally:
        _context.reset(token)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message).text
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now, redacted, and drop the live exception.
            cleaned += "\n" + redact(logging.Formatter().formatException(record.exc_info)).text
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = cleaned, ()
        # Fields passed with `extra=` reach the JSON line as they are: redact those too.
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value).text)
        _add_context_ids(record)
        return True


def _add_context_ids(record: logging.LogRecord) -> None:
    context = _context.get()
    if context is None:
        return
    for field in ID_FIELDS:
        value = context.get(field)
        if value is not None and getattr(record, field, None) is None:
            setattr(record, field, value)


def _formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure(level: str = "INFO", stream=None, fmt: str = "text") -> logging.Handler:
    """One handler on the root logger, redacting; library chatter only at DEBUG."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_formatter(fmt))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiosmtpd logs every DATA line at DEBUG: that is the customer's mail, one line
    # at a time, so a mnemonic spread over lines would reach the log in fragments
    # no redactor can recognise; it never goes below INFO.
    _chatter_only_at_debug(root.level, "mail.log", floor=logging.INFO)
    # The Telegram Bot API URL holds the bot token: httpx logs every request's URL at INFO
    # and python-telegram-bot logs its URLs at DEBUG, so both stay at WARNING whatever the level.
    for name in ("httpx", "httpcore", "telegram"):
        _chatter_only_at_debug(root.level, name, floor=logging.WARNING)
    # Library chatter: alembic's lines at every start and `msgrouter token`, aiosmtpd's
    # dozen lines per mail (and "Connection lost" after the start-up self-check, which
    # looks like an error and is not). Shown at DEBUG; their warnings always come through.
    _chatter_only_at_debug(root.level, "alembic")
    # Celery logs every task received and finished at INFO: with a tick every few
    # seconds that buries what matters. Failures still come through as warnings.
    for name in ("celery.worker.strategy", "celery.app.trace"):
        _chatter_only_at_debug(root.level, name)
    return handler


def _chatter_only_at_debug(root_level: int, name: str, floor: int = logging.NOTSET) -> None:
    level = logging.WARNING if root_level > logging.DEBUG else max(floor, root_level)
    logging.getLogger(name).setLevel(level)
