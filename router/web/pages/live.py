"""GET /live: the dashboard's Server-Sent Events stream for the signed-in agent.

Each open page holds one stream. It reads the event log about once a second
(router/web/live_feed.py says why the database and not Redis), sends what the caller may see
as `assigned`, `customer_reply`, `warning`, `breach`, `presence` and `released` events
with the log's id, resumes after Last-Event-ID (or `?after=`, the id the page was
rendered at, on a page's first connection), and sends a comment now and then so proxies
keep the connection open. It ends when the session does: at the signed cookie's expiry,
or when the agent's password changes; the browser is then told `signed_out`.

A stream costs a coroutine and, once a second, one short read in the thread pool: no
thread, connection or lock is held between reads.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from itsdangerous import BadSignature, TimestampSigner
from starlette.concurrency import run_in_threadpool

from config.settings import get_settings
from router.desk.passwords import stamp
from router.storage.db import read_scope
from router.storage.models import Agent
from router.web import live_feed
from router.web.access import Caller, page_caller
from router.web.pages.session import COOKIE

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
RECHECK_SECONDS = 10.0  # how often the agent's password stamp is read again
RETRY_MS = 3000  # the browser's wait before reconnecting after a dropped stream
REPLAY_MAX = 10_000  # events a resumed stream may go back


def install(app: FastAPI) -> None:
    # Set when the server begins to stop (router/commands/servers.py): every stream ends within
    # a poll, so shutdown does not wait on open pages; the browsers reconnect and resume.
    app.state.live_stopping = threading.Event()


def stop_streams(app: FastAPI) -> None:
    app.state.live_stopping.set()


def session_ends_at(request: Request) -> float:
    """When the signed session cookie stops being accepted (Unix time). Starlette signs the
    cookie with a timestamp and refuses it `max_age` later; reading the stream does not
    renew it (the session is not modified), so an open page does not keep it alive."""
    settings = get_settings()
    raw = request.cookies.get(COOKIE, "")
    try:
        _, signed_at = TimestampSigner(str(settings.secret_key)).unsign(raw, return_timestamp=True)
    except BadSignature:
        return time.time()
    return signed_at.timestamp() + settings.session_idle_seconds


def _start(request: Request, after: int | None) -> int:
    """Where the stream starts: after Last-Event-ID on a reconnect, after `?after=` on a
    page's first connection, else at the log's end; never more than REPLAY_MAX events back,
    so a stale or made-up id does not walk the whole log."""
    with read_scope() as session:
        latest = live_feed.latest_event_id(session)
    resume = request.headers.get("last-event-id", "").strip()
    asked = int(resume) if resume.isdigit() else after
    if asked is None:
        return latest
    return min(max(asked, latest - REPLAY_MAX), latest)


def _frame(event: live_feed.LiveEvent) -> str:
    return f"id: {event.id}\nevent: {event.name}\ndata: {json.dumps(event.data, separators=(',', ':'))}\n\n"


def _still_signed_in(agent_id: int, signed_stamp: str) -> bool:
    with read_scope() as session:
        agent = session.get(Agent, agent_id)
        return agent is not None and agent.password_hash is not None and stamp(agent) == signed_stamp


def _read(cursor: live_feed.Cursor) -> tuple[list[live_feed.LiveEvent], bool]:
    with read_scope() as session:
        return live_feed.read(session, cursor, time.monotonic())


async def _stream(audience: live_feed.Audience, cursor: live_feed.Cursor, ends_at: float,
                  signed_stamp: str, stopping: threading.Event) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n: signed in as {audience.agent_name}\n\n"
    quiet_since = checked_at = time.monotonic()
    while time.time() < ends_at:
        if stopping.is_set():
            return  # not signed out: the browser reconnects to the server that comes next
        now = time.monotonic()
        if now - checked_at >= RECHECK_SECONDS:
            if not await run_in_threadpool(_still_signed_in, audience.agent_id, signed_stamp):
                break
            checked_at = now
        while True:
            events, more = await run_in_threadpool(_read, cursor)
            frames = [_frame(e) for e in events if audience.sees(e)]
            if frames:
                quiet_since = now
                yield "".join(frames)
            if not more:
                break
        if now - quiet_since >= HEARTBEAT_SECONDS:
            quiet_since = now
            yield ": keep-alive\n\n"
        await asyncio.sleep(min(POLL_SECONDS, max(ends_at - time.time(), 0)))
    yield "event: signed_out\ndata: {}\n\n"


@router.get("/live")
async def live(request: Request, after: int | None = Query(None, ge=0, le=2**63 - 1),
               who: Caller = Depends(page_caller)) -> StreamingResponse:
    assert who.agent.id is not None
    audience = live_feed.Audience(who.agent.id, who.agent.name, who.pool_ids, who.sees_every_pool)
    cursor = live_feed.Cursor(await run_in_threadpool(_start, request, after))
    signed_stamp = str(request.session.get("stamp", ""))
    stopping = request.app.state.live_stopping
    return StreamingResponse(_stream(audience, cursor, session_ends_at(request), signed_stamp, stopping),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
