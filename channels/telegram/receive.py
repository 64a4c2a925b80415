"""One update in, from the webhook or from long polling: read it, fetch its files, store it.

The caller hears back only once the message is durably stored (or deliberately not
stored: a group message, a redelivery), so the webhook's 200 and polling's next offset
both follow the commit.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from channels.telegram.bot import make_bot, masked
from channels.telegram.files import fetch_into
from channels.telegram.updates import Received, read
from config.settings import get_settings
from router.desk.greetings import queue_greeting
from router.queue.edits import accept_edit
from router.queue.intake import accept

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    update_id: int
    kind: str  # message | edit | start | ignored
    message_id: int | None = None  # our stored message, when one was stored or found
    duplicate: bool = False  # nothing new was stored: the update was delivered before


async def receive(data: Any, bot: Bot | None = None) -> Outcome:
    """Store what the update `data` (decoded JSON) says; `bot` fetches files (one is opened
    for the call when none is given). Raises BadUpdate for a body that is no Update."""
    settings = get_settings()
    received = read(data, settings.max_attachment_bytes)
    if received.kind == "ignored":
        log.info("telegram update %s ignored: %s", received.update_id, received.reason)
        return Outcome(received.update_id, "ignored")
    inbound = received.inbound
    assert inbound is not None  # every kind but "ignored" carries the message
    if received.kind == "start":
        queued = await asyncio.to_thread(queue_greeting, inbound, received.language_code)
        return Outcome(received.update_id, "start", duplicate=not queued)
    if received.files:
        await _fetch(received, bot, settings.max_attachment_bytes)
    if received.kind == "edit":
        stored = await asyncio.to_thread(accept_edit, inbound, received.edit_key)
    else:
        stored = await asyncio.to_thread(accept, inbound)
    return Outcome(received.update_id, received.kind, stored.message_id, stored.duplicate)


async def _fetch(received: Received, bot: Bot | None, max_bytes: int) -> None:
    assert received.inbound is not None
    if bot is not None:
        await fetch_into(bot, received.inbound, received.files, max_bytes)
        return
    try:
        async with make_bot() as opened:
            await fetch_into(opened, received.inbound, received.files, max_bytes)
    except (TelegramError, OSError) as exc:  # the message is stored all the same, its files listed
        reason = masked(f"{type(exc).__name__}: {exc}")
        log.warning("telegram files of message %s not fetched: %s", received.inbound.external_id, reason)
        received.inbound.parse_notes.append(f"the attached files could not be fetched from Telegram ({reason})")
