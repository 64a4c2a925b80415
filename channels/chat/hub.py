"""The web process's side of the chat: which customers have a socket here, and waking
those sockets when a worker announces a reply for their customer (`channels.chat.bus`).

One hub per web app. It listens only while at least one socket is connected: to Redis
pub/sub (a task on the app's event loop), or to the in-process announcements of the
embedded desk. A socket joins before it reads its history, and joining waits until the
hub hears, so no reply can fall between the two.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

from channels.chat import bus
from router.queue.rate_limits import RateLimits

log = logging.getLogger(__name__)
SUBSCRIBE_WAIT_SECONDS = 5.0


class Hub:
    def __init__(self, redis_url: str | None) -> None:
        self._redis_url = redis_url
        self._sockets: dict[str, set[asyncio.Event]] = {}
        self._listening: asyncio.Task | None = None
        self._hearing = asyncio.Event()
        self._stop_local: Callable[[], None] | None = None
        # Per-connection flood counters: a connection lives in this process only.
        self.flood = RateLimits()

    async def join(self, customer: str) -> asyncio.Event:
        """Register a socket of `customer`; the event is set whenever they may have news."""
        wake = asyncio.Event()
        self._sockets.setdefault(customer, set()).add(wake)
        self._start()
        try:
            await asyncio.wait_for(self._hearing.wait(), SUBSCRIBE_WAIT_SECONDS)
        except TimeoutError:
            log.warning("chat announcements not heard yet; this socket polls every few seconds meanwhile")
        return wake

    def leave(self, customer: str, wake: asyncio.Event) -> None:
        sockets = self._sockets.get(customer, set())
        sockets.discard(wake)
        if not sockets:
            self._sockets.pop(customer, None)
        if not self._sockets:
            self._stop()

    def wake(self, customers: list[str]) -> None:
        for customer in customers:
            for event in self._sockets.get(customer, ()):
                event.set()

    def wake_all(self) -> None:
        self.wake(list(self._sockets))

    def _start(self) -> None:
        if self._redis_url is None:
            if self._stop_local is None:
                loop = asyncio.get_running_loop()

                def heard(customers: list[str]) -> None:  # called on the worker's thread
                    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to wake
                        loop.call_soon_threadsafe(self.wake, customers)
                self._stop_local = bus.listen_here(heard)
                self._hearing.set()
            return
        if self._listening is None or self._listening.done():
            self._listening = asyncio.get_running_loop().create_task(self._listen(self._redis_url))

    def _stop(self) -> None:
        if self._stop_local is not None:
            self._stop_local()
            self._stop_local = None
        if self._listening is not None:
            self._listening.cancel()
            self._listening = None
        self._hearing.clear()

    async def _listen(self, url: str) -> None:
        client = aioredis.Redis.from_url(url)
        try:
            while True:
                try:
                    await self._subscribed(client, bus.topic(url))
                except (OSError, aioredis.RedisError) as exc:
                    self._hearing.clear()
                    log.warning("chat announcements: Redis unreachable (%s); retrying", type(exc).__name__)
                    await asyncio.sleep(1.0)
        finally:
            await client.aclose()

    async def _subscribed(self, client: aioredis.Redis, topic: str) -> None:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(topic)
            self._hearing.set()
            # What was announced while we did not listen is in the database: look again.
            self.wake_all()
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self.wake(_customers(message["data"]))


def _customers(data: Any) -> list[str]:
    try:
        found = json.loads(data)
    except ValueError:
        return []
    return [c for c in found if isinstance(c, str)] if isinstance(found, list) else []


def hub_for(state: Any) -> Hub:
    """The web app's hub (one per app, kept on its `state`)."""
    hub = getattr(state, "chat_hub", None)
    if hub is None:
        hub = state.chat_hub = Hub(bus.redis_url())
    return hub
