"""Long polling (getUpdates) for desks without a public URL: the same `receive` as the webhook.

Each update is stored before the next getUpdates confirms it (its offset moves past it),
so a poller stopped at any point loses nothing: Telegram serves an unconfirmed update
again and intake stores nothing new for it. Stopping (Ctrl-C, SIGTERM) abandons the
pending long poll, then confirms what was stored, so a restart starts after it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from channels.telegram.receive import receive
from channels.telegram.sending import retry_seconds
from channels.telegram.updates import BadUpdate

log = logging.getLogger(__name__)
ALLOWED = ["message", "edited_message"]  # what `receive` stores; Telegram sends no other kind


@dataclass
class Polled:
    updates: int = 0  # updates handled (stored, found stored before, or ignored)
    stored: int = 0  # new messages stored
    offset: int | None = None  # the next update id to ask for


async def _next_batch(bot: Bot, offset: int | None, timeout: int, stop: asyncio.Event):
    """The next updates, or None when `stop` was set while waiting for them."""
    fetch = asyncio.ensure_future(bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED))
    stopped = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if fetch not in done:
        fetch.cancel()
        await asyncio.gather(fetch, return_exceptions=True)
        return None
    stopped.cancel()
    return fetch.result()


async def poll(bot: Bot, stop: asyncio.Event, timeout: int = 25, polled: Polled | None = None) -> Polled:
    """Take updates until `stop` is set; returns what was done."""
    polled = polled or Polled()
    while not stop.is_set():
        try:
            updates = await _next_batch(bot, polled.offset, timeout, stop)
        except RetryAfter as exc:
            await _sleep_unless(stop, retry_seconds(exc))
            continue
        except (TimedOut, NetworkError) as exc:
            log.warning("telegram getUpdates failed (%s); trying again in 5 s", type(exc).__name__)
            await _sleep_unless(stop, 5)
            continue
        if updates is None:
            break
        await _take(bot, updates, polled, stop)
    if polled.offset is not None:
        # Confirm what was stored, so that a restart does not fetch it again.
        await bot.get_updates(offset=polled.offset, timeout=0, allowed_updates=ALLOWED)
    return polled


async def _take(bot: Bot, updates, polled: Polled, stop: asyncio.Event) -> None:
    for update in updates:
        try:
            outcome = await receive(update.to_dict(), bot)
        except BadUpdate as exc:  # cannot become better by asking again: skipped, said why
            log.warning("telegram update %s skipped: %s", update.update_id, exc)
        except Exception as exc:  # noqa: BLE001 - not stored, not confirmed: fetched and tried again
            log.warning("telegram update %s not stored (%s); trying again in 5 s",
                        update.update_id, type(exc).__name__)
            await _sleep_unless(stop, 5)
            return
        else:
            polled.updates += 1
            polled.stored += outcome.message_id is not None and not outcome.duplicate
        polled.offset = max(polled.offset or 0, update.update_id + 1)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
