"""The access token every call to WeChat's API needs: fetched from `/cgi-bin/token`, kept in
the shared store until shortly before it expires, so every worker uses the same one, and
fetched again when it expires or WeChat calls it stale (40001, 40014, 42001).

Each fetch makes WeChat retire the token before it, so fetches are taken in turn under a
shared lock, and a worker that was told its token is stale fetches only if nobody has
replaced that token meanwhile.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from channels.wechat.shared import SharedStore

log = logging.getLogger(__name__)
MARGIN = 300  # seconds before WeChat's expiry at which a token counts as expired


class AccessTokens:
    def __init__(self, store: SharedStore, app_id: str, fetch: Callable[[], tuple[str, int]]) -> None:
        self._store = store
        self._key = f"access_token:{app_id}"
        self._fetch = fetch

    def _cached(self) -> str | None:
        raw = self._store.get(self._key)
        if not raw:
            return None
        kept = json.loads(raw)
        # The expiry is ours, written beside the token: the store's own expiry (Redis's
        # clock) is only there to clean up.
        return kept["token"] if kept["until"] > time.time() else None

    def current(self) -> str:
        """The token in use, fetched first when there is none or it is about to expire."""
        return self._cached() or self._replace(None)

    def refresh(self, stale: str) -> str:
        """WeChat refused `stale`: a new token, unless another worker has already replaced it."""
        return self._replace(stale)

    def _replace(self, stale: str | None) -> str:
        with self._store.locked(self._key):
            kept = self._cached()
            if kept is not None and kept != stale:
                return kept  # fetched by someone else while we waited for the lock
            token, lifetime = self._fetch()
            until = time.time() + max(lifetime - MARGIN, lifetime / 2)
            self._store.put(self._key, json.dumps({"token": token, "until": until}), ttl=lifetime)
            log.info("wechat access token fetched (valid for %d s)", lifetime)
            return token
