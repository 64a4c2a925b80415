"""The agent API's rate limit: so many requests per token (MSGROUTER_API_RATE_LIMIT);
over it, 429 with Retry-After.

Counted by the `limits` library in Redis when there is one (a sliding window counter),
so every web process of a desk shares one count per token, and in this process's memory
in embedded mode, where there is one web process, over exact moving windows
(router/queue/moving_windows.py: the library's memory store runs a timer thread whose
cost grows with the keys). The key is a hash of the token (a token is never written to
Redis); a request without one is counted by its client address.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from config.settings import Settings
from router.queue.moving_windows import RateCounts

log = logging.getLogger(__name__)


class ApiRateLimit:
    def __init__(self, settings: Settings) -> None:
        url = settings.doorbell_redis_url
        self.limiter = SlidingWindowCounterRateLimiter(RedisStorage(url)) if url else None
        self.memory = RateCounts()
        self.rates = parse_many(settings.api_rate_limit)

    def _wait(self, rate: RateLimitItem, key: str) -> int:
        """Count one request under `rate`: 0, or the seconds to wait when over it."""
        if self.limiter is None:
            return self.memory.hit(rate, "msgrouter-api", key)
        if self.limiter.hit(rate, "msgrouter-api", key):
            return 0
        reset = self.limiter.get_window_stats(rate, "msgrouter-api", key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def check(self, key: str) -> None:
        """Count one request for `key`; HTTPException 429 with Retry-After when over a rate."""
        try:
            for rate in self.rates:
                retry = self._wait(rate, key)
                if retry:
                    raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                                        f"more than {rate} requests for this token; retry in {retry} s",
                                        headers={"Retry-After": str(retry)})
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - Redis gone: the API keeps answering, unlimited, and says so
            log.warning("API rate limit not checked (%s: %s)", type(exc).__name__, exc)


def client_key(request: Request) -> str:
    """Whose requests these are: the token's hash, or the client's address without one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "ip:" + (request.client.host if request.client else "unknown")


def api_rate_limit(request: Request) -> None:
    """Route dependency: one request counted against its token's rate."""
    request.app.state.api_rate_limit.check(client_key(request))
