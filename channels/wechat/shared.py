"""A small store every process of the desk shares: Redis when there is one (the broker's or
MSGROUTER_REDIS_URL), else this process's memory, which is all `msgrouter run` has and
all it needs (one process).

The WeChat channel keeps its access token here, so that every worker sends with the same
one, and the queries it has seen, to refuse a replayed one. Neither belongs in the
database: the token is a credential, and both only matter for minutes.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import redis

from config.settings import get_settings

PREFIX = "msgrouter:wechat:"


class SharedStore:
    def __init__(self, redis_url: str | None) -> None:
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5) \
            if redis_url else None
        self._local: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def get(self, key: str) -> str | None:
        if self._redis is not None:
            value = self._redis.get(PREFIX + key)
            return value.decode() if isinstance(value, bytes) else None
        with self._guard:
            value, until = self._local.get(key, ("", 0.0))
            return value if until > time.time() else None

    def put(self, key: str, value: str, ttl: float, *, only_new: bool = False) -> bool:
        """Keep `value` for `ttl` seconds; with only_new, only if the key holds nothing (then
        False means it did)."""
        if self._redis is not None:
            return bool(self._redis.set(PREFIX + key, value, ex=max(int(ttl), 1), nx=only_new))
        with self._guard:
            now = time.time()
            if only_new and self._local.get(key, ("", 0.0))[1] > now:
                return False
            self._local = {k: v for k, v in self._local.items() if v[1] > now}  # forget what expired
            self._local[key] = (value, now + ttl)
            return True

    @contextmanager
    def locked(self, name: str, timeout: float = 30.0) -> Iterator[None]:
        """One holder at a time across every process sharing the store (a Redis lock that
        expires after `timeout`, so a dead holder cannot block the others for ever)."""
        if self._redis is not None:
            with self._redis.lock(PREFIX + "lock:" + name, timeout=timeout, blocking_timeout=timeout):
                yield
            return
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            yield


@lru_cache(maxsize=1)
def get_store() -> SharedStore:
    return SharedStore(get_settings().doorbell_redis_url)
