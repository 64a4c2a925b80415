"""Who is on the other end of a chat socket: the app's backend signs each customer id with
the desk's chat secret, hex(HMAC-SHA256(secret, customer_id)), and the page hands both to
the socket. Without the secret nobody can name a customer they are not."""
from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, customer: str) -> str:
    return hmac.new(secret.encode("utf-8"), customer.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(secret: str | None, customer: str, signature: str) -> bool:
    """True only for a signature made with `secret` for exactly this customer id; an unset
    secret verifies nothing (the chat is off). Compared in constant time."""
    if not secret or not customer or not signature:
        return False
    return hmac.compare_digest(sign(secret, customer), signature.strip().lower())
