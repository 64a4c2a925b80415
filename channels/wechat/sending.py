"""Deliver outbound messages as customer-service text messages to the customer's openid, one
result each.

WeChat takes these for 48 hours after the customer last wrote (45015), and only so many
per message of theirs (45047): such a message is held, not failed, and goes out when the
customer writes again (`router.delivery.held`). A stale access token (40001, 40014, 42001) is
replaced and the message tried once more. Rate limiting and a busy system (45009, -1) go
back to the outbox for its backoff; after 45009 the rest of the batch waits untried, since
the limit is the whole account's. An openid that is not ours or no longer follows the
account (40003, 43004) is permanent.
"""
from __future__ import annotations

import logging

import httpx

from channels.base import DeliveryResult, Outbound, SendProgress
from channels.wechat import api
from channels.wechat.tokens import AccessTokens
from config.settings import Settings

log = logging.getLogger(__name__)
MAX_BYTES = 2000  # a text message's content, in UTF-8 bytes (WeChat's limit is 2,048)
WINDOW_NOTE = ("waiting for the customer to write again: WeChat takes customer-service messages only for "
               "48 hours after the customer's last message")


def chunks(text: str, limit: int = MAX_BYTES) -> list[str]:
    """`text` in pieces of at most `limit` UTF-8 bytes, cut at a line break where there is one."""
    pieces: list[str] = []
    while len(text.encode("utf-8")) > limit:
        fits = len(text.encode("utf-8")[:limit].decode("utf-8", errors="ignore"))
        cut = text.rfind("\n", 0, fits)
        cut = cut if cut > 0 else fits
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text or not pieces else pieces


def result_for(error: api.ApiError) -> DeliveryResult:
    """What the outbox should do after WeChat said `error`."""
    code, detail = error.errcode, f"WeChat {error}"
    if code in (api.OUT_OF_WINDOW, api.OUT_OF_REPLY_COUNT):
        return DeliveryResult(ok=False, hold=True, detail=f"{WINDOW_NOTE} ({detail})")
    if code in (api.OPENID_INVALID, api.NOT_FOLLOWING):
        return DeliveryResult(ok=False, permanent=True, detail=detail)
    return DeliveryResult(ok=False, detail=detail)  # busy, rate-limited, network: backoff


def _send_one(client: httpx.Client, settings: Settings, tokens: AccessTokens, outbound: Outbound) -> None:
    token = tokens.current()
    for piece in chunks(outbound.text):
        try:
            api.send_text(client, settings, token, outbound.recipient, piece)
        except api.ApiError as exc:
            if exc.errcode not in api.STALE_TOKEN:
                raise
            # Once: a token refused again right after a fetch is not a stale token.
            log.info("wechat access token refused (%s); fetching a new one", exc.errcode)
            token = tokens.refresh(token)
            api.send_text(client, settings, token, outbound.recipient, piece)


def send_all(client: httpx.Client, settings: Settings, tokens: AccessTokens,
             outbounds: list[Outbound], progress: SendProgress | None = None) -> list[DeliveryResult]:
    """Each in order; with `progress`, each acceptance is reported before the next message
    starts (the outbox commits its receipt), as the email relay does."""
    try:
        tokens.current()
    except api.ApiError as exc:  # no token, nothing can be sent: one fetch fails the batch, not one each
        log.warning("wechat access token not fetched: %s", exc)
        return [DeliveryResult(ok=False, detail=f"no WeChat access token: WeChat {exc}")] * len(outbounds)
    results: list[DeliveryResult] = []
    for i, outbound in enumerate(outbounds):
        if progress is not None and not progress.proceed(i):
            results.append(DeliveryResult(ok=False, detail="not sent: the claim on it was lost"))
            continue
        limited = False
        try:
            _send_one(client, settings, tokens, outbound)
            result = DeliveryResult(ok=True)
        except api.ApiError as exc:
            result, limited = result_for(exc), exc.errcode == api.API_LIMITED
        if progress is not None:
            progress.outcome(i, result)
        results.append(result)
        if limited:
            rest = len(outbounds) - len(results)
            log.info("wechat API limit reached (45009): %d more messages wait untried", rest)
            results += [DeliveryResult(ok=False, detail="not tried: the WeChat API limit (45009)")] * rest
            break
    return results
