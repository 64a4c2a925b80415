"""A stand-in for the Telegram Bot API on loopback, speaking its HTTP protocol, for the tests
and for trying msgrouter's Telegram channel without Telegram.

    python -m tests.standins.telegram_api --port 8081

then MSGROUTER_TELEGRAM_BASE_URL=http://127.0.0.1:8081/bot. python-telegram-bot talks to it
as to api.telegram.org: getMe, sendMessage (each printed, and recorded), getUpdates (long
polling with offsets: an update is served until a later offset confirms it, as Telegram
does), getFile and the file download, setWebhook and deleteWebhook. What the real API
decides, the stand-in is told through /control:

    POST /control/updates   an Update (or a list) for getUpdates to serve
    POST /control/files     {"file_id", "file_path", "content_base64"}: a file getFile can find
    POST /control/fail      {"method", "status": 429 or 403 ..., "retry_after", "times"}: answer so
    GET  /control/sent      the sendMessage calls so far

Standard library only, so it runs from a plain checkout.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "Pinecone Support", "username": "pinecone_support_bot"}
# Parameters python-telegram-bot sends JSON-encoded in its form posts; strings come as they are.
_JSON_PARAMS = {"chat_id", "offset", "limit", "timeout", "allowed_updates", "reply_parameters",
                "drop_pending_updates", "max_connections", "message_id", "reply_markup"}
_DESCRIPTIONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
                 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    times: int = 1


@dataclass
class State:
    token: str | None = None  # None: any token is accepted
    echo: bool = False  # print every sendMessage (the command line)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # every Bot API method called, in order
    offsets: list[int] = field(default_factory=list)  # the offset of every getUpdates
    updates: list[dict[str, Any]] = field(default_factory=list)  # not yet confirmed
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file_id -> (file_path, content)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    lock: threading.Condition = field(default_factory=threading.Condition)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path = unquote(urlsplit(self.path).path)  # clients percent-encode the token's colon
        state = self.server.state
        parts = path.strip("/").split("/")
        if parts[0] == "control":
            return self._control(parts[1:] if len(parts) > 1 else [""])
        if parts[0] == "file" and len(parts) >= 3 and parts[1].startswith("bot"):
            return self._download(parts[1][3:], "/".join(parts[2:]))
        if len(parts) == 2 and parts[0].startswith("bot"):
            if state.token is not None and parts[0][3:] != state.token:
                return self._api_error(401, "Unauthorized")
            return self._method(parts[1], self._params())
        self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def _params(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(urlsplit(self.path).query))
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            return {**query, **json.loads(body or b"{}")}
        params: dict[str, Any] = {**query, **dict(parse_qsl(body.decode("utf-8")))}
        for name in _JSON_PARAMS & params.keys():
            with contextlib.suppress(ValueError):
                params[name] = json.loads(params[name])
        return params

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The client may have given up waiting (a long poll cancelled on stop), as clients may.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def _api_error(self, status: int, description: str = "", retry_after: int | None = None) -> None:
        payload: dict[str, Any] = {"ok": False, "error_code": status,
                                   "description": description or _DESCRIPTIONS.get(status, "Error")}
        if retry_after is not None:
            payload["description"] = f"Too Many Requests: retry after {retry_after}"
            payload["parameters"] = {"retry_after": retry_after}
        self._reply(status, payload)

    def _method(self, name: str, params: dict[str, Any]) -> None:
        state = self.server.state
        with state.lock:
            state.calls.append(name)
            queued = state.failures.get(name) or []
            failure = queued[0] if queued else None
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    queued.pop(0)
        if failure is not None:
            return self._api_error(failure.status, retry_after=failure.retry_after)
        handler = _METHODS.get(name)
        if handler is None:
            return self._api_error(404, "Not Found: method not found")
        status, result = handler(state, params)
        if status != 200:
            return self._api_error(status, str(result))
        self._reply(200, {"ok": True, "result": result})

    def _download(self, token: str, file_path: str) -> None:
        state = self.server.state
        if state.token is not None and token != state.token:
            return self._api_error(401, "Unauthorized")
        for path, content in state.files.values():
            if path == file_path:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                return
        self._api_error(404)

    def _control(self, parts: list[str]) -> None:
        state, what = self.server.state, parts[0]
        if self.command == "GET" and what == "sent":
            with state.lock:
                return self._reply(200, list(state.sent))
        if self.command == "GET" and what == "webhook":
            return self._reply(200, state.webhook)
        if self.command != "POST":
            return self._reply(404, {"error": "unknown control"})
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if what == "updates":
            add_updates(state, body if isinstance(body, list) else [body])
        elif what == "files":
            add_file(state, body["file_id"], body["file_path"], base64.b64decode(body["content_base64"]))
        elif what == "fail":
            fail_next(state, body["method"], int(body["status"]), body.get("retry_after"), int(body.get("times", 1)))
        else:
            return self._reply(404, {"error": "unknown control"})
        self._reply(200, {"ok": True})


def _get_me(state: State, params: dict[str, Any]) -> tuple[int, Any]:
    return 200, BOT_USER


def _send_message(state: State, params: dict[str, Any]) -> tuple[int, Any]:
    if "chat_id" not in params or not params.get("text"):
        return 400, "Bad Request: chat_id and text are required"
    if len(str(params["text"])) > 4096:
        return 400, "Bad Request: message is too long"
    with state.lock:
        state.sent.append(dict(params))
        message_id = len(state.sent)
    if state.echo:
        print(f"=== sendMessage to chat {params['chat_id']} ===\n{params['text']}\n", flush=True)
    return 200, {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                 "chat": {"id": params["chat_id"], "type": "private"}, "text": params["text"]}


def _get_updates(state: State, params: dict[str, Any]) -> tuple[int, Any]:
    offset, timeout = int(params.get("offset") or 0), float(params.get("timeout") or 0)
    limit = int(params.get("limit") or 100)
    deadline = time.monotonic() + timeout
    with state.lock:
        state.offsets.append(offset)
        if offset:  # as Telegram does: an offset confirms every update before it
            state.updates = [u for u in state.updates if u["update_id"] >= offset]
        while not state.updates and time.monotonic() < deadline:
            state.lock.wait(deadline - time.monotonic())
        return 200, state.updates[:limit]


def _get_file(state: State, params: dict[str, Any]) -> tuple[int, Any]:
    found = state.files.get(str(params.get("file_id")))
    if found is None:
        return 400, "Bad Request: invalid file_id"
    path, content = found
    return 200, {"file_id": params["file_id"], "file_unique_id": f"u{abs(hash(path)) % 10**8}",
                 "file_size": len(content), "file_path": path}


def _set_webhook(state: State, params: dict[str, Any]) -> tuple[int, Any]:
    # Telegram calls only HTTPS webhooks; the stand-in records any URL, to be usable on loopback.
    state.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
    return 200, True


def _delete_webhook(state: State, params: dict[str, Any]) -> tuple[int, Any]:
    state.webhook = {}
    return 200, True


_METHODS = {"getMe": _get_me, "sendMessage": _send_message, "getUpdates": _get_updates, "getFile": _get_file,
            "setWebhook": _set_webhook, "deleteWebhook": _delete_webhook}


def add_updates(state: State, updates: list[dict[str, Any]]) -> None:
    with state.lock:
        state.updates.extend(updates)
        state.lock.notify_all()


def add_file(state: State, file_id: str, file_path: str, content: bytes) -> None:
    with state.lock:
        state.files[file_id] = (file_path, content)


def fail_next(state: State, method: str, status: int, retry_after: int | None = None, times: int = 1) -> None:
    with state.lock:
        state.failures.setdefault(method, []).append(Failure(status, retry_after, times))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State


class TelegramStandIn:
    """The stand-in in a thread of this process (the tests' way); `base_url` is what
    MSGROUTER_TELEGRAM_BASE_URL should say."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None, echo: bool = False) -> None:
        self.state = State(token=token, echo=echo)
        self._server = _Server((host, port), _Handler)
        self._server.state = self.state
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}/bot"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TelegramStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self.state.lock:
            self.state.lock.notify_all()
        self._server.shutdown()
        self._server.server_close()

    @property
    def sent(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.sent)

    def add_updates(self, *updates: dict[str, Any]) -> None:
        add_updates(self.state, list(updates))

    def add_file(self, file_id: str, file_path: str, content: bytes) -> None:
        add_file(self.state, file_id, file_path, content)

    def fail_next(self, method: str, status: int, retry_after: int | None = None, times: int = 1) -> None:
        fail_next(self.state, method, status, retry_after, times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A stand-in for the Telegram Bot API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this bot token (default: any)")
    args = parser.parse_args(argv)
    try:
        standin = TelegramStandIn(args.host, args.port, args.token, echo=True)
    except OSError as exc:
        sys.exit(f"telegram stand-in: cannot listen on {args.host}:{args.port}: {exc.strerror}")
    print(f"Telegram Bot API stand-in on {standin.base_url} (MSGROUTER_TELEGRAM_BASE_URL); "
          "every sendMessage is printed here", file=sys.stderr, flush=True)
    with standin, contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
