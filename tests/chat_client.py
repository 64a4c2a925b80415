"""A real WebSocket client (the `websockets` library) for the chat tests: connect as a
signed customer, send messages, read frames until the one wanted."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from websockets.sync.client import ClientConnection, connect

from channels.chat.signature import sign

SECRET = "test-chat-secret-0123456789abcdef"


def chat_url(base: str, customer: str, signature: str | None = None, after: int | None = None) -> str:
    query = {"customer": customer, "signature": sign(SECRET, customer) if signature is None else signature}
    if after is not None:
        query["after"] = str(after)
    return base.replace("http://", "ws://") + "/chat/ws?" + urlencode(query)


@contextmanager
def open_chat(base: str, customer: str, after: int | None = None) -> Iterator[tuple[ClientConnection, list[dict]]]:
    """A signed connection and the history frames it replayed, up to its `ready` frame."""
    with connect(chat_url(base, customer, after=after), open_timeout=10) as ws:
        yield ws, frames_until(ws, lambda f: f["type"] == "ready")


def send(ws: ClientConnection, text: str, client_id: str | None = None) -> None:
    frame = {"type": "message", "text": text}
    if client_id is not None:
        frame["client_id"] = client_id
    ws.send(json.dumps(frame))


def frames_until(ws: ClientConnection, wanted: Callable[[dict], bool], timeout: float = 20.0) -> list[dict]:
    """Every frame received up to and including the first `wanted` one."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no wanted frame within {timeout}s; got {seen}")
        try:
            frame = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            raise AssertionError(f"no wanted frame within {timeout}s; got {seen}") from None
        seen.append(frame)
        if wanted(frame):
            return seen
