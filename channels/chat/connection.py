"""One customer's chat socket: refuse it unless signed, replay the history since the last
reply the client saw, store each message before acknowledging it, and push replies as
they become deliverable. Bad frames and floods get error frames; the socket stays open.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from channels import chat
from channels.chat import frames, inbox
from channels.chat.hub import Hub
from channels.chat.signature import verify
from config.settings import Settings, get_settings
from router.queue.intake import accept

log = logging.getLogger(__name__)
POLICY_VIOLATION = 1008  # WebSocket close code; before accept, uvicorn answers HTTP 403


def _after(value: str | None) -> int | None:
    """The `after` query parameter: the id of the last reply the client has shown."""
    return int(value) if value and value.isdigit() else None


async def serve(ws: WebSocket, hub: Hub) -> None:
    settings = get_settings()
    customer, signature = ws.query_params.get("customer", ""), ws.query_params.get("signature", "")
    if not verify(settings.chat_secret, customer, signature):
        # The customer id is the app's and may be personal: it is not logged.
        log.info("chat connection refused: %s", "chat is off (no MSGROUTER_CHAT_SECRET)"
                 if not settings.chat_secret else "missing or wrong signature")
        await ws.close(code=POLICY_VIOLATION)
        return
    await ws.accept()
    connection = _Connection(ws, customer, hub, settings)
    wake = await hub.join(customer)
    pusher: asyncio.Task | None = None
    try:
        await connection.replay(_after(ws.query_params.get("after")))
        pusher = asyncio.create_task(connection.push_replies(wake))
        await connection.receive()
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(customer, wake)
        if pusher is not None:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await pusher


class _Connection:
    def __init__(self, ws: WebSocket, customer: str, hub: Hub, settings: Settings) -> None:
        self.ws, self.customer, self.hub, self.settings = ws, customer, hub, settings
        self.key = uuid.uuid4().hex  # this connection's flood counter
        self.cursor = 0  # the newest reply this socket has shown
        self._sending = asyncio.Lock()  # the receiver and the pusher both write frames

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._sending:
            await self.ws.send_json(frame)

    async def replay(self, after: int | None) -> None:
        """The history since `after`; the cursor moves over replies only, so a reply queued
        before the customer's last message is still pushed once it is sent."""
        self.cursor = after or 0
        for entry in await run_in_threadpool(inbox.history, self.customer, after):
            await self.send(entry.frame())
            if entry.direction == "out":
                self.cursor = max(self.cursor, entry.id)
        await self.send(frames.ready(self.cursor))

    async def push_replies(self, wake: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.settings.chat_poll_seconds)
            wake.clear()  # before reading: a reply announced meanwhile wakes us again
            for entry in await run_in_threadpool(inbox.replies_after, self.customer, self.cursor):
                await self.send(entry.frame())
                self.cursor = max(self.cursor, entry.id)

    async def receive(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            await self.take(text if text is not None else message.get("bytes") or b"")

    async def take(self, raw: str | bytes) -> None:
        """One client frame: checked, counted against the flood limit, stored, acknowledged."""
        wait = self.hub.flood.hit(self.settings.chat_rate_limit, "chat", self.key)
        try:
            message = frames.read(raw, self.settings.chat_max_message_chars)
        except frames.FrameError as bad:
            await self.send(frames.error(bad.code, bad.detail, bad.client_id))
            return
        if wait:
            await self.send(frames.error("rate_limited", f"too many messages; send this one again in {wait} s",
                                         message.client_id, retry_after=wait))
            return
        try:
            accepted = await run_in_threadpool(accept, chat.to_inbound(message, self.customer))
        except Exception as exc:  # noqa: BLE001 - not stored: the client keeps it and sends it again
            log.error("chat message not stored: %s", type(exc).__name__)
            await self.send(frames.error("not_stored", "your message could not be stored; send it again",
                                         message.client_id))
            return
        await self.send(frames.ack(message.client_id, accepted.message_id, accepted.duplicate))
