"""Reading the dashboard's live stream (GET /live, Server-Sent Events) as a browser's
EventSource does, over a real HTTP connection, for the tests of live updates."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Received:
    status: int
    content_type: str
    events: list[dict[str, Any]] = field(default_factory=list)  # {"id", "event", "data"}
    comments: list[str] = field(default_factory=list)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]


def listen(client: httpx.Client, until: Callable[[Received], bool], *, last_event_id: str | None = None,
           params: dict[str, Any] | None = None, timeout: float = 20.0) -> Received:
    """Read /live until `until(received)` holds (checked after each event and comment);
    the stream is then closed. A stream silent for `timeout` seconds fails the test."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    with client.stream("GET", "/live", headers=headers, params=params,
                       timeout=httpx.Timeout(5.0, read=timeout)) as response:
        got = Received(response.status_code, response.headers.get("content-type", ""))
        if response.status_code != 200:
            return got
        frame: dict[str, str] = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                got.comments.append(line[1:].strip())
            elif line:
                name, _, value = line.partition(":")
                frame[name] = frame.get(name, "") + value.removeprefix(" ")
                continue
            elif frame:
                if "event" in frame:
                    got.events.append({"id": frame.get("id"), "event": frame["event"],
                                       "data": json.loads(frame.get("data") or "{}")})
                frame = {}
            if until(got):
                return got
    return got
