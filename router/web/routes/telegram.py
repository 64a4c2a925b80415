"""The Telegram webhook: Telegram POSTs each Update here (`msgrouter telegram set-webhook`).

Not an agent route: Telegram proves itself with the secret it was given, in the
X-Telegram-Bot-Api-Secret-Token header (compared in constant time; wrong or missing:
403). The 200 comes only after the update is stored; anything else makes Telegram
deliver it again, which stores nothing new.
"""
from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Request, status

from channels.telegram.receive import receive
from channels.telegram.updates import BadUpdate
from config.settings import get_settings
from router.web.errors import refusal, refusals
from router.web.models_public import TelegramAck

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])
MAX_UPDATE_BYTES = 1024 * 1024  # an Update is a few kilobytes; files come by getFile, not in it


def _check_secret(request: Request) -> None:
    settings = get_settings()
    if not settings.telegram_token:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the Telegram channel is off (MSGROUTER_TELEGRAM_TOKEN)")
    expected = (settings.telegram_webhook_secret or "").encode()
    given = request.headers.get("x-telegram-bot-api-secret-token", "").encode()
    # No secret configured means no caller can be trusted: every call is refused.
    if not expected or not hmac.compare_digest(given, expected):
        log.warning("telegram webhook refused: %s secret token from %s",
                    "no" if not given else "wrong", request.client.host if request.client else "?")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong or missing X-Telegram-Bot-Api-Secret-Token")


# The route reads the body itself (an Update is checked by channels.telegram.updates).
_UPDATE = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "a Telegram Update (core.telegram.org/bots/api#update)"}}}}}


@router.post("/channels/telegram/webhook", openapi_extra=_UPDATE, responses={
    **refusal(400, "not a Telegram update"),
    **refusal(403, "wrong or missing X-Telegram-Bot-Api-Secret-Token"),
    **refusal(404, "the Telegram channel is off (no MSGROUTER_TELEGRAM_TOKEN)"),
    **refusal(503, "the update could not be stored: Telegram delivers it again"), **refusals(413)})
async def telegram_webhook(request: Request) -> TelegramAck:
    _check_secret(request)
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"an update is at most {MAX_UPDATE_BYTES} bytes")
    try:
        outcome = await receive(json.loads(body))
    except (ValueError, BadUpdate) as exc:  # json's errors are ValueErrors too
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a Telegram update: {exc}") from None
    except Exception as exc:
        # Not stored: Telegram keeps the update and delivers it again.
        log.exception("telegram update not stored")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the update could not be stored; "
                            "deliver it again") from exc
    return TelegramAck(ok=True, update_id=outcome.update_id, kind=outcome.kind, message_id=outcome.message_id,
                       duplicate=outcome.duplicate)
