"""How much one IP address or one sender may ask of the SMTP server: connections open at
once per IP, recipients per message, messages per sender and per IP within a window.

The counts live in this process's memory. That is enough because one SMTP server
process serves all connections (`msgrouter smtp`, or the one inside `msgrouter run`);
several SMTP processes behind a balancer would each count alone, and a restart forgets.
Every method is called from the server's event loop thread only, so a check and the
count that follows it cannot interleave with another session's.

The windows are router/queue/moving_windows.py's, not the `limits` library's memory
store (that module says why).
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

from config.settings import Settings
from router.queue.moving_windows import MovingWindows

Key = tuple[str, str]  # ("ip" or "sender", the address)


@dataclass(frozen=True, slots=True)
class SmtpLimits:
    connections_per_ip: int
    recipients: int
    messages_per_sender: int
    messages_per_ip: int
    window_seconds: int

    @classmethod
    def from_settings(cls, s: Settings) -> SmtpLimits:
        return cls(s.smtp_max_connections_per_ip, s.smtp_max_recipients, s.smtp_messages_per_sender,
                   s.smtp_messages_per_ip, s.smtp_rate_window_seconds)


class SmtpLimiter:
    def __init__(self, limits: SmtpLimits) -> None:
        self.limits = limits
        self._open: Counter[str] = Counter()
        self._windows = MovingWindows(limits.window_seconds)

    def connect(self, ip: str) -> bool:
        """Count a new connection from `ip`; False (and not counted) when it has too many open."""
        if self._open[ip] >= self.limits.connections_per_ip:
            return False
        self._open[ip] += 1
        return True

    def disconnect(self, ip: str) -> None:
        self._open[ip] -= 1
        if self._open[ip] <= 0:
            del self._open[ip]

    def recipients_full(self, count: int) -> bool:
        """True when a message already has as many recipients as one may have."""
        return count >= self.limits.recipients

    def start_message(self, ip: str, sender: str) -> str | None:
        """Count a message (MAIL FROM) from `ip` and `sender`; when either is over its window's
        limit, count nothing and return the SMTP reply refusing it."""
        # A null sender (a bounce) is nobody's address: only its IP is counted.
        keys: list[tuple[Key, int]] = [(("ip", ip), self.limits.messages_per_ip)]
        if sender:
            keys.append((("sender", sender.lower()), self.limits.messages_per_sender))
        now = time.monotonic()
        for key, most in keys:
            if self._windows.count(key, now) >= most:
                wait = math.ceil(max(1.0, self._windows.frees_at(key) - now))
                return (f"451 4.7.1 Too many messages from this {'IP address' if key[0] == 'ip' else 'sender address'}"
                        f" ({most} per {self.limits.window_seconds} s); try again in {wait} s")
        for key, _ in keys:
            self._windows.hit(key, now)
        return None
