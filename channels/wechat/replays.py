"""A signed query is good for one body: the plain-mode signature covers the timestamp and the
nonce, not the body, so a query seen once must not carry a second, different body.

The first body posted with a query is remembered (its SHA-256) for as long as the query's
timestamp is accepted; the same body again is WeChat retrying and passes (the message is
then stored once), another body is refused.
"""
from __future__ import annotations

import hashlib

from channels.wechat.shared import SharedStore
from channels.wechat.verify import MAX_AGE, Refused


def check_once(store: SharedStore, timestamp: str, nonce: str, body: bytes) -> None:
    """Raise Refused when this timestamp and nonce came before with another body."""
    digest = hashlib.sha256(body).hexdigest()
    key = f"query:{timestamp}:{nonce}"
    # Twice the accepted age: the timestamp may lie that far ahead of our clock as well as behind.
    if store.put(key, digest, ttl=2 * MAX_AGE + 60, only_new=True):
        return
    if store.get(key) != digest:
        raise Refused("this timestamp and nonce were already used with another body: a replay")
