"""The python-telegram-bot `Bot` msgrouter talks through, built from the settings.

The Bot API URL holds the token, so errors that quote it are reworded here and the HTTP
client's request lines stay below the log level (`router.logs`). `run(coro)` drives one
of the library's coroutines from synchronous code (the outbox, the command line) on a
loop of its own.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot
from telegram.error import InvalidToken
from telegram.request import HTTPXRequest

from config.settings import Settings, get_settings

T = TypeVar("T")
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")


class TelegramOff(RuntimeError):
    """MSGROUTER_TELEGRAM_TOKEN is not set: the channel is off."""


def file_url(base_url: str) -> str:
    """The Bot API's file URL beside its method URL: .../bot -> .../file/bot (a base URL
    with a {token} slot keeps it)."""
    head, sep, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url.rstrip("/") + "/file/bot"


def make_bot(settings: Settings | None = None, *, read_timeout: float = 20.0) -> Bot:
    settings = settings or get_settings()
    if not settings.telegram_token:
        raise TelegramOff("the Telegram channel is off: MSGROUTER_TELEGRAM_TOKEN is not set")
    # Long polling holds a request open for its whole timeout: its own, longer read timeout.
    return Bot(settings.telegram_token, base_url=settings.telegram_base_url,
               base_file_url=file_url(settings.telegram_base_url),
               request=HTTPXRequest(connect_timeout=10.0, read_timeout=read_timeout),
               get_updates_request=HTTPXRequest(connect_timeout=10.0, read_timeout=read_timeout + 60))


def masked(text: str) -> str:
    """`text` with any bot token in it replaced (python-telegram-bot quotes it in some errors)."""
    return _TOKEN.sub("<bot token>", text)


def run(work: Callable[[Bot], Awaitable[T]], settings: Settings | None = None) -> T:
    """Open the bot, await `work(bot)`, close it: one event loop for the whole batch."""
    async def session() -> T:
        bot = make_bot(settings)
        try:
            async with bot:
                return await work(bot)
        except InvalidToken as exc:
            raise InvalidToken(masked(str(exc))) from None
    return asyncio.run(session())
