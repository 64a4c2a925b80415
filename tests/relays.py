"""SMTP relays for delivery tests: a real aiosmtpd server that answers each mail's data with
the reply it is told to (250, 451, 421, 550), after a delay if told to (a slow relay), on a
port chosen up front so a relay that was down can come up where msgrouter already points."""
from __future__ import annotations

import asyncio
import threading
from collections import Counter
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from support import free_port


def message_ids(raw_mails: list[bytes]) -> Counter:
    """How many times each Message-ID arrived: the way to see a mail sent twice."""
    return Counter(str(message_from_bytes(raw, policy=policy.default)["Message-ID"]) for raw in raw_mails)


class Relay:
    """A relay whose answer to DATA can change while it runs; it keeps every mail it accepted."""

    def __init__(self, reply: str = "250 OK", port: int | None = None, delay: float = 0.0) -> None:
        self.reply = reply
        self.delay = delay  # seconds each mail's data takes to be answered
        self.port = port or free_port()
        self.attempts = 0  # mails offered, whatever the answer
        self.accepted: list[bytes] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)  # other connections are served meanwhile
        with self._lock:
            self.attempts += 1
            if self.reply.startswith("250"):
                self.accepted.append(envelope.original_content)
            return self.reply

    def __enter__(self) -> Relay:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
