"""One push from WeChat in: prove it is WeChat's, open it, store what it says.

The caller answers `success` only once this returns, that is once the message is durably
stored (or deliberately not: an event we do not handle, a redelivery). A customer who
writes or follows again gets the replies held for them (`router.delivery.held.release`).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import redis

from channels.wechat.pushes import CHANNEL, read
from channels.wechat.replays import check_once
from channels.wechat.shared import get_store
from channels.wechat.verify import check_query, open_body
from config.settings import get_settings
from router.delivery.held import release
from router.delivery.reachability import set_reachable
from router.desk.greetings import queue_greeting
from router.queue.intake import accept
from router.storage.db import get_engine, session_scope

log = logging.getLogger(__name__)
# A follow carries no language; the official account's followers read Chinese, and the
# greeting's warning about 助记词 and 私钥 is the point of it.
GREETING_LANGUAGE = "zh"


class ChannelOff(RuntimeError):
    """MSGROUTER_WECHAT_TOKEN is not set: the channel is off."""


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # message | subscribe | unsubscribe | ignored
    openid: str
    message_id: int | None = None  # our stored message, when one was stored or found
    duplicate: bool = False  # nothing new was stored: the push was delivered before


def verified(query: Mapping[str, str]) -> None:
    """Raise Refused unless the query is WeChat's signature, fresh (the server check's GET)."""
    settings = get_settings()
    if not settings.wechat_token:
        raise ChannelOff("the WeChat channel is off (MSGROUTER_WECHAT_TOKEN)")
    check_query(settings, query)


def receive(query: Mapping[str, str], body: bytes) -> Outcome:
    """Store what the push says. Raises ChannelOff, Refused (not WeChat's) or BadPush (not a
    push)."""
    settings = get_settings()
    if not settings.wechat_token:
        raise ChannelOff("the WeChat channel is off (MSGROUTER_WECHAT_TOKEN)")
    timestamp, nonce = check_query(settings, query)
    try:
        check_once(get_store(), timestamp, nonce, body)
    except redis.RedisError as exc:
        # Refusing would lose the customer's message (WeChat gives up after three tries);
        # the timestamp's age still bounds a replay to minutes.
        log.warning("wechat replay check skipped, the shared store is unreachable: %s", type(exc).__name__)
    received = read(open_body(settings, query, body))
    if received.kind == "ignored":
        log.info("wechat push from %s ignored: %s", received.openid, received.reason)
        return Outcome("ignored", received.openid)
    if received.kind == "unsubscribe":
        with session_scope(get_engine()) as session:
            set_reachable(session, CHANNEL, received.openid, False)
        log.info("wechat follower %s left: no more messages can reach them", received.openid)
        return Outcome("unsubscribe", received.openid)
    inbound = received.inbound
    assert inbound is not None  # messages and follows carry one
    if received.kind == "subscribe":
        queued = queue_greeting(inbound, GREETING_LANGUAGE)
        release(CHANNEL, received.openid)
        return Outcome("subscribe", received.openid, duplicate=not queued)
    stored = accept(inbound)
    release(CHANNEL, received.openid)
    return Outcome("message", received.openid, stored.message_id, stored.duplicate)
