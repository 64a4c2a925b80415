"""The chat's JSON frames: what a client may send (`read`) and what the server sends back
(acks, replies, the customer's own messages in the history, errors).

Client -> server: {"type": "message", "text": "...", "client_id": "..."}; the client id is
optional and makes a resend after a reconnect safe: the same id is stored once.
Server -> client: {"type": "ack", "client_id", "id", "duplicate"} once stored;
{"type": "reply", "id", "text", "at", "automatic"} for the desk's answers;
{"type": "message", "id", "text", "at"} for the customer's own earlier messages;
{"type": "ready", "last_reply_id"} after the history; {"type": "error", "code", "detail", ...}.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_CLIENT_ID = 100


class FrameError(ValueError):
    """A frame we cannot take: the socket stays open and the client gets an error frame."""

    def __init__(self, code: str, detail: str, client_id: str | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.client_id = code, detail, client_id


@dataclass(frozen=True, slots=True)
class ClientMessage:
    text: str
    client_id: str | None


def read(raw: str | bytes, max_chars: int) -> ClientMessage:
    """One client frame, checked: valid JSON, a known type, a text within the limit."""
    # Cut off before decoding: a megabyte of JSON is refused without being parsed.
    if len(raw) > 4 * max_chars + 1024:
        raise FrameError("too_large", f"the frame is larger than a message of {max_chars} characters")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise FrameError("bad_frame", "a frame must be a JSON object") from None
    if not isinstance(frame, dict):
        raise FrameError("bad_frame", "a frame must be a JSON object")
    client_id = frame.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID):
        raise FrameError("bad_frame", f"client_id must be a string of 1 to {MAX_CLIENT_ID} characters")
    if frame.get("type") != "message":
        raise FrameError("bad_frame", 'the only frame a client sends is {"type": "message", "text": ...}',
                         client_id)
    text = frame.get("text")
    if not isinstance(text, str) or not text.strip():
        raise FrameError("bad_frame", "text must be a non-empty string", client_id)
    if len(text) > max_chars:
        raise FrameError("too_large", f"a message may have at most {max_chars} characters "
                                      f"(this one has {len(text)})", client_id)
    return ClientMessage(text=text, client_id=client_id)


def error(code: str, detail: str, client_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, "client_id": client_id, **extra}


def ack(client_id: str | None, message_id: int, duplicate: bool) -> dict[str, Any]:
    return {"type": "ack", "client_id": client_id, "id": message_id, "duplicate": duplicate}


def ready(last_reply_id: int) -> dict[str, Any]:
    return {"type": "ready", "last_reply_id": last_reply_id}
