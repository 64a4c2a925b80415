"""Telegram channel: Bot API updates in (`parse`), sendMessage out (`send_many`, `send`).

Updates arrive at the web app's webhook (`router.web.routes.telegram`) or by long polling
(`msgrouter telegram poll`, `channels.telegram.poll`); both go through
`channels.telegram.receive`. python-telegram-bot does the talking, against
MSGROUTER_TELEGRAM_BASE_URL. Without MSGROUTER_TELEGRAM_TOKEN the channel is off.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from channels.base import DeliveryResult, Inbound, Outbound, SendProgress
from channels.telegram import bot as _bot
from channels.telegram.sending import send_all
from channels.telegram.updates import BadUpdate, read
from config.settings import get_settings

# A Telegram chat is one standing session: a new message continues the customer's open case.
THREADS_BY_CUSTOMER = True
# A customer answers the rating request by tapping 1-5 (router/steps/rating.py).
RATES_BY_REPLY = True


class Ignored(ValueError):
    """The update is not a customer's message (a group chat, /start, a callback, ...)."""


def parse(raw: bytes | str | dict[str, Any]) -> Inbound:
    """One Update (JSON bytes, text or decoded) -> the customer's message, files listed but
    not fetched. Raises BadUpdate for something that is no Update and Ignored for an update
    that carries no customer message to store."""
    try:
        data = raw if isinstance(raw, dict) else json.loads(raw)
    except ValueError as exc:
        raise BadUpdate(f"not JSON: {exc}") from None
    received = read(data, get_settings().max_attachment_bytes)
    if received.kind not in ("message", "edit") or received.inbound is None:
        raise Ignored(received.reason or f"a {received.kind} update")
    return received.inbound


def send_many(outbounds: list[Outbound], progress: SendProgress | None = None) -> list[DeliveryResult]:
    """sendMessage each, in order, through one bot session (one event loop for the batch)."""
    return _bot.run(lambda bot: send_all(bot, outbounds, progress))


def send(outbound: Outbound) -> DeliveryResult:
    return send_many([outbound])[0]


def our_address() -> tuple[str, str]:
    """The bot (its id, the part of the token before the colon) and the desk's name."""
    from config.desk import get_desk

    token = get_settings().telegram_token or ""
    return f"bot{token.split(':', 1)[0]}" if token else "bot", get_desk().desk.name


def new_external_id(conversation_id: int | None) -> str:
    # Unique among our own rows; Telegram numbers the message only once it is sent.
    return f"out:{conversation_id or 0}:{uuid.uuid4().hex}"
