"""WeChat official account (公众号) channel: XML pushes in (`parse`), customer-service
messages out (`send_many`, `send`).

Pushes arrive at the web app's `/channels/wechat` (`router.web.routes.wechat`), are proven
and opened by `channels.wechat.verify` and stored by `channels.wechat.receive`. Replies go
out by `/cgi-bin/message/custom/send` on MSGROUTER_WECHAT_API_BASE with an access token
shared by every worker (`channels.wechat.tokens`). wechatpy reads the XML and does safe
mode's crypto. Without MSGROUTER_WECHAT_TOKEN the channel is off.
"""
from __future__ import annotations

import uuid

import httpx

from channels.base import DeliveryResult, Inbound, Outbound, SendProgress
from channels.wechat import api
from channels.wechat.pushes import BadPush, read
from channels.wechat.sending import send_all
from channels.wechat.shared import get_store
from channels.wechat.tokens import AccessTokens
from config.settings import get_settings

# An official account's chat with a follower is one standing session: a new message
# continues the follower's open case.
THREADS_BY_CUSTOMER = True
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class Ignored(ValueError):
    """The push is not a customer's message (a follow, an unfollow, a menu click, ...)."""


def parse(raw: bytes | str) -> Inbound:
    """One push's XML (plain, or already decrypted) -> the customer's message. Raises
    BadPush for something that is no push and Ignored for a push that is no message."""
    received = read(raw)
    if received.kind != "message" or received.inbound is None:
        raise Ignored(received.reason or f"a {received.kind} event")
    return received.inbound


def send_many(outbounds: list[Outbound], progress: SendProgress | None = None) -> list[DeliveryResult]:
    """Each as a customer-service text message, in order, through one HTTP client."""
    settings = get_settings()
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        detail = "the WeChat channel cannot send: MSGROUTER_WECHAT_APP_ID and MSGROUTER_WECHAT_APP_SECRET are needed"
        return [DeliveryResult(ok=False, detail=detail)] * len(outbounds)
    with httpx.Client(timeout=TIMEOUT) as client:
        tokens = AccessTokens(get_store(), settings.wechat_app_id, lambda: api.fetch_token(client, settings))
        return send_all(client, settings, tokens, outbounds, progress)


def send(outbound: Outbound) -> DeliveryResult:
    return send_many([outbound])[0]


def our_address() -> tuple[str, str]:
    """The official account (its app id) and the desk's name."""
    from config.desk import get_desk

    return get_settings().wechat_app_id or "wechat", get_desk().desk.name


def new_external_id(conversation_id: int | None) -> str:
    # Unique among our own rows; WeChat gives customer-service messages no id.
    return f"out:{conversation_id or 0}:{uuid.uuid4().hex}"


__all__ = ["BadPush", "Ignored", "our_address", "parse", "send", "send_many"]
