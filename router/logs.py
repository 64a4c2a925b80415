"""Logging set-up: every record passes through the redactor before any handler sees it,
so a secret that reaches a log call (an exception message quoting a customer, a
library's debug line) is still never written."""
from __future__ import annotations

import logging

from router.redact import redact


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
        return True


def configure(level: str = "INFO", stream=None) -> logging.Handler:
    """One handler on the root logger, redacting; library chatter only at DEBUG."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
