"""Announcements from the worker that sends a reply to the web process holding the
customer's socket: "customer X has something new". Only the ids travel; the database
has the reply.

As the doorbell does, it works in two modes: Redis pub/sub when the desk has Redis (web
and workers are separate processes), an in-process list of listeners on the embedded
desk (`msgrouter run`: web and worker share the process). A lost announcement costs a
delay, never a reply: every socket also looks again every MSGROUTER_CHAT_POLL_SECONDS.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from functools import lru_cache

import redis

from config.settings import get_settings

log = logging.getLogger(__name__)

Listener = Callable[[list[str]], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def redis_url() -> str | None:
    return get_settings().doorbell_redis_url


def topic(url: str) -> str:
    """The pub/sub channel: Redis shares pub/sub across its databases, so the database
    number is part of the name (two desks on one server do not hear each other)."""
    db = redis.Redis.from_url(url).connection_pool.connection_kwargs.get("db", 0)
    return f"msgrouter:{db}:chat"


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def announce(customers: list[str]) -> None:
    """Tell the web processes these customers have new replies; never raises."""
    if not customers:
        return
    url = redis_url()
    if url is None:
        with _lock:
            listeners = list(_listeners)
        for listener in listeners:
            listener(customers)
        return
    try:
        _client(url).publish(topic(url), json.dumps(customers))
    except redis.RedisError as exc:
        log.warning("chat announcement not published (%s); sockets find the replies within %ss",
                    type(exc).__name__, get_settings().chat_poll_seconds)


def listen_here(listener: Listener) -> Callable[[], None]:
    """Hear announcements made in this process; returns the function that stops it."""
    with _lock:
        _listeners.append(listener)

    def stop() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)
    return stop
