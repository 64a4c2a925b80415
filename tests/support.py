"""Small helpers the tests share: building mail, waiting, and real servers on free ports."""
from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How long wait_for waits unless a test says. Under `make mutation` (mutmut sets
# MUTANT_UNDER_TEST in every pass, the clean run included) a mutant that stops the awaited
# thing from happening cost 20 s of waiting; the first full run spent a fifth of its time
# so. Six seconds is many times what any awaited step takes on the two idle cores, and the
# clean run, which waits as the mutants do, fails loudly if a test needs longer.
WAIT_SECONDS = 6.0 if "MUTANT_UNDER_TEST" in os.environ else 20.0


def wait_for(condition: Callable[[], object], timeout: float | None = None, interval: float = 0.05,
             what: str = "condition") -> object:
    timeout = WAIT_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last seen: {value!r})")


def new_message_id() -> str:
    """A Message-ID no other test mail has. Not `email.utils.make_msgid`: its random part
    comes from the `random` module, which Hypothesis seeds alike for every example, so two
    examples in the same centisecond got the same id and intake rightly took the second
    mail for a redelivery of the first."""
    return f"<{uuid.uuid4().hex}@example.com>"


def make_email(*, sender: str = "customer@example.com", to: str = "support@pinecone.example",
               subject: str = "Withdrawal missing", text: str = "My withdrawal has not arrived.",
               message_id: str | None = None, in_reply_to: str | None = None,
               references: list[str] | None = None, charset: str = "utf-8",
               headers: dict[str, str] | None = None, name: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or new_message_id()
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text, charset=charset)
    return msg


class Sink:
    """A real SMTP server that keeps what it receives (the customer's mailbox)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def __enter__(self) -> Sink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def parsed(self) -> list:
        from email import message_from_bytes, policy

        return [message_from_bytes(raw, policy=policy.default) for _, _, raw in self.messages]


@contextmanager
def serve_app(app, port: int | None = None):
    """Run an ASGI app with uvicorn in a thread; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def app_routes(app) -> list:
    """Every route the app serves, each with its full `path`, its `methods` and, for API
    routes, its `dependant`. Since FastAPI 0.137 an included router is one lazy entry of
    `app.routes` without a path (a loop over it sees no API route at all);
    `iter_route_contexts` flattens it. Older versions keep `app.routes` flat."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def run_coroutine(coro):
    return asyncio.new_event_loop().run_until_complete(coro)
