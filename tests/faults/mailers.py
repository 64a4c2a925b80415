"""Customers' mail clients under fault: threads that keep sending new mail to our SMTP server
and, like any real MTA, send a mail again after a temporary failure until it gets 250.

Every reply is recorded per mail from the client's side, so a test can say exactly what was
accepted (a 250), what was deferred (4xx) and whether anything got an answer it should not
(a 5xx, or a 250 for a mail already answered 250).
"""
from __future__ import annotations

import smtplib
import threading
import time
import uuid
from dataclasses import dataclass, field

from support import make_email

CONNECTION_FAILED = 0  # recorded as the "code" when the session broke before DATA's reply


@dataclass
class Mail:
    sender: str
    message_id: str
    raw: bytes
    replies: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return 250 in self.replies


class Mailers:
    """`clients` threads, each sending a new mail every `pause` seconds until `stop()`;
    a mail refused for now is retried every `retry_pause` seconds until it gets 250."""

    def __init__(self, port: int, clients: int = 4, pause: float = 0.05, retry_pause: float = 0.2,
                 give_up_after: float = 90.0) -> None:
        self.port, self.pause, self.retry_pause = port, pause, retry_pause
        self.give_up_at = time.monotonic() + give_up_after
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]

    def __enter__(self) -> Mailers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """No new mail from now on; wait for each client to get its last mail accepted."""
        self._stop.set()
        for thread in self._threads:
            thread.join(max(1.0, self.give_up_at - time.monotonic() + 5))

    def _client(self, index: int) -> None:
        n = 0
        while not self._stop.is_set() and time.monotonic() < self.give_up_at:
            n += 1
            # One sender per mail: each opens its own conversation and earns its own
            # acknowledgement (the cap on acknowledgements per sender stays out of the count).
            sender = f"c{index}-{n}-{uuid.uuid4().hex[:6]}@example.com"
            msg = make_email(sender=sender, subject=f"Withdrawal {index}-{n} missing",
                             text=f"Hello, my withdrawal number {index}-{n} has not arrived yet. Please check.")
            mail = Mail(sender, msg["Message-ID"], msg.as_bytes())
            with self._lock:
                self.mails.append(mail)
            while not mail.accepted and time.monotonic() < self.give_up_at:
                mail.replies.append(self._send(mail))
                if not mail.accepted:
                    time.sleep(self.retry_pause)
            time.sleep(self.pause)

    def _send(self, mail: Mail) -> int:
        try:
            client = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
        except (OSError, smtplib.SMTPException):
            return CONNECTION_FAILED
        try:
            client.ehlo()
            code = client.mail(mail.sender)[0]
            if code == 250:
                code = client.rcpt("support@pinecone.example")[0]
            return client.data(mail.raw)[0] if code == 250 else code
        except (OSError, smtplib.SMTPException):
            return CONNECTION_FAILED
        finally:
            # The reply to DATA is what counts: a QUIT that fails afterwards changes nothing.
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    # What the clients saw.

    def snapshot(self) -> list[Mail]:
        with self._lock:
            return list(self.mails)

    def accepted(self) -> list[Mail]:
        return [m for m in self.snapshot() if m.accepted]

    def codes(self) -> set[int]:
        return {code for m in self.snapshot() for code in m.replies}

    def count(self, code: int) -> int:
        return sum(m.replies.count(code) for m in self.snapshot())
