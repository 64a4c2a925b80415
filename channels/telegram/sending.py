"""Deliver outbound messages with sendMessage to the customer's chat, one result each.

A 429 (flood control) carries how long to wait: that message and the rest of the batch
go back to the outbox with that `retry_after`, untried, rather than hammering the API. A
403 (the user blocked the bot) and a 400 (no such chat, a malformed request) are
permanent: the outbox stops retrying and marks the identity unreachable.
"""
from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import Bot, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from channels.base import DeliveryResult, Outbound, SendProgress
from channels.telegram.bot import masked

log = logging.getLogger(__name__)
MAX_TEXT = 4096  # the Bot API's limit for one message's text, in characters


def chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in pieces the Bot API takes, cut at a line break where there is one."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text or not pieces else pieces


def keyboard(choices: list[str]) -> ReplyKeyboardMarkup | None:
    """The choices as one row of buttons that close once tapped (the tap sends its text)."""
    if not choices:
        return None
    return ReplyKeyboardMarkup([list(choices)], one_time_keyboard=True, resize_keyboard=True)


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # the library is moving this attribute to timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _send_one(bot: Bot, outbound: Outbound) -> DeliveryResult:
    try:
        chat_id = int(outbound.recipient)
    except ValueError:
        return DeliveryResult(ok=False, permanent=True, detail=f"not a Telegram chat id: {outbound.recipient!r}")
    pieces = chunks(outbound.text)
    try:
        for i, piece in enumerate(pieces):
            # The keyboard goes with the last piece: the one the customer answers.
            markup = keyboard(outbound.choices) if i == len(pieces) - 1 else None
            await bot.send_message(chat_id=chat_id, text=piece, reply_markup=markup)
    except RetryAfter as exc:
        return DeliveryResult(ok=False, detail=f"429 flood control: {exc}", retry_after=retry_seconds(exc))
    except Forbidden as exc:
        return DeliveryResult(ok=False, permanent=True, detail=f"403 {masked(str(exc))}")
    except BadRequest as exc:
        return DeliveryResult(ok=False, permanent=True, detail=f"400 {masked(str(exc))}")
    except TelegramError as exc:  # timeouts, network and server errors: retried with backoff
        return DeliveryResult(ok=False, detail=masked(f"{type(exc).__name__}: {exc}"))
    return DeliveryResult(ok=True)


async def send_all(bot: Bot, outbounds: list[Outbound],
                   progress: SendProgress | None = None) -> list[DeliveryResult]:
    """sendMessage each in order. With `progress`, each acceptance is reported before the
    next message starts (the outbox commits its receipt), as the email relay does."""
    results: list[DeliveryResult] = []
    for i, outbound in enumerate(outbounds):
        if progress is not None and not progress.proceed(i):
            results.append(DeliveryResult(ok=False, detail="not sent: the claim on it was lost"))
            continue
        result = await _send_one(bot, outbound)
        if progress is not None:
            progress.outcome(i, result)
        results.append(result)
        if result.retry_after is not None:
            rest = len(outbounds) - len(results)
            if rest:
                log.info("telegram flood control: %d more messages wait %.0f s untried", rest, result.retry_after)
            results += [DeliveryResult(ok=False, detail="not tried: waiting out Telegram's flood control",
                                       retry_after=result.retry_after)] * rest
            break
    return results
