"""The doorbell: tells the workers there is work in the database, after the commit.

Rings coalesce: while a drain task is queued and not yet started, further rings are
dropped (a short-lived Redis key, or an in-process flag for the embedded broker). The
task clears the flag when it starts, so work committed after that rings again. A lost
ring costs a delay, never a message: `tick` re-rings for rows left waiting.
"""
from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

import redis

from config.settings import get_settings

log = logging.getLogger(__name__)

# What each kind of work rings: the Celery task that drains it.
TASKS = {"inbound": "msgrouter.drain", "outbound": "msgrouter.deliver"}
HOLD_SECONDS = 5  # a flag left by a lost task expires after this long


class Doorbell:
    def __init__(self, redis_url: str | None) -> None:
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2) \
            if redis_url else None
        self._local: dict[str, float] = {}
        self._lock = threading.Lock()

    def ring(self, kind: str) -> None:
        """Ask for a drain of `kind` work; never raises (the database already has the work)."""
        key = f"msgrouter:doorbell:{kind}"
        try:
            if not self._arm(key):
                return
            from workers.app import app  # late: the web and SMTP processes import this module too

            app.send_task(TASKS[kind])
        except Exception as exc:  # noqa: BLE001 - the broker is a doorbell: tick will ring again
            log.warning("doorbell %s not rung (%s); tick will retry", kind, exc)
            self._disarm(key)

    def answer(self, kind: str) -> None:
        """Called by the draining task as it starts: rings from now on are heard."""
        self._disarm(f"msgrouter:doorbell:{kind}")

    def _arm(self, key: str) -> bool:
        if self._redis is not None:
            return bool(self._redis.set(key, b"1", nx=True, ex=HOLD_SECONDS))
        now = time.monotonic()
        with self._lock:
            if self._local.get(key, 0.0) > now:
                return False
            self._local[key] = now + HOLD_SECONDS
            return True

    def _disarm(self, key: str) -> None:
        try:
            if self._redis is not None:
                self._redis.delete(key)
            else:
                with self._lock:
                    self._local.pop(key, None)
        except redis.RedisError as exc:
            log.warning("doorbell flag %s not cleared (%s); it expires in %ss", key, exc, HOLD_SECONDS)


@lru_cache(maxsize=1)
def get_doorbell() -> Doorbell:
    return Doorbell(get_settings().doorbell_redis_url)
