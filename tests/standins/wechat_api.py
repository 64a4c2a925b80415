"""A stand-in for WeChat on loopback, for the tests and for trying msgrouter's WeChat channel
without an official account. It plays both of WeChat's sides:

- the API msgrouter calls (MSGROUTER_WECHAT_API_BASE): `GET /cgi-bin/token` and
  `POST /cgi-bin/message/custom/send`, each send printed and recorded. As WeChat does, it
  refuses an unknown token (40001), an expired one (42001), a follower who has not written
  for 48 hours (45015) and one who unfollowed (43004);
- the server that pushes to msgrouter's URL (`--server`): it signs each push (SHA-1 over the
  sorted token, timestamp and nonce), encrypts it in safe mode (`--aes-key`) and posts it,
  noting when each follower last wrote, which opens their 48 hours.

    python -m tests.standins.wechat_api --port 8082 --token demo-token \\
        --server http://127.0.0.1:8000/channels/wechat

Told through /control:

    POST /control/push    a push's XML: signed (and encrypted) and posted to the server;
                          answers {"status", "body"} as msgrouter answered
    POST /control/verify  {"echostr"}: the server check WeChat makes when the URL is saved
    POST /control/fail    {"errcode": 45009 or -1 ..., "times"}: the next custom/send answers so
    POST /control/invalidate   every token issued so far is refused from now on (40001)
    GET  /control/sent    the custom/send calls so far
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import xmltodict
from wechatpy.crypto import WeChatCrypto

WINDOW = 48 * 3600  # seconds a follower's message lets the account write to them
ERRORS = {-1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
          40013: "invalid appid", 40125: "invalid appsecret", 42001: "access_token expired",
          43004: "require subscribe", 44002: "empty post data", 45002: "content size out of limit",
          45009: "reach max api daily quota limit", 45015: "response out of time limit or subscription is canceled"}


@dataclass
class State:
    token: str  # the server-configuration token pushes are signed with
    app_id: str
    app_secret: str
    aes_key: str | None = None  # set: pushes are encrypted (safe mode)
    server: str = ""  # msgrouter's /channels/wechat
    lifetime: int = 7200  # seconds an access token lives
    echo: bool = False
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> when it expires
    last_wrote: dict[str, float] = field(default_factory=dict)  # openid -> their last message
    unfollowed: set[str] = field(default_factory=set)
    failures: list[list[int]] = field(default_factory=list)  # [errcode, times left]
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # "token", "custom/send", in order
    # Run once as the next custom/send arrives, before it is answered (tests: a customer
    # writing while a send is on its way).
    before_send: Callable[[], object] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def sign(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def issue_token(state: State, appid: str, secret: str) -> dict[str, Any]:
    if appid != state.app_id:
        return {"errcode": 40013, "errmsg": ERRORS[40013]}
    if secret != state.app_secret:
        return {"errcode": 40125, "errmsg": ERRORS[40125]}
    now = time.time()
    with state.lock:
        state.calls.append("token")
        # As WeChat does, the token before a new one stays good for five more minutes.
        state.tokens = {t: min(until, now + 300) for t, until in state.tokens.items()}
        token = f"ACCESS_{len(state.calls)}_{secrets.token_hex(8)}"
        state.tokens[token] = now + state.lifetime
    return {"access_token": token, "expires_in": state.lifetime}


def custom_send(state: State, access_token: str, body: bytes) -> dict[str, Any]:
    hook, state.before_send = state.before_send, None
    if hook is not None:
        hook()
    now = time.time()
    with state.lock:
        state.calls.append("custom/send")
        if state.failures:
            code = state.failures[0][0]
            state.failures[0][1] -= 1
            if state.failures[0][1] <= 0:
                state.failures.pop(0)
            return {"errcode": code, "errmsg": ERRORS.get(code, "error")}
        until = state.tokens.get(access_token)
    if until is None:
        return {"errcode": 40001, "errmsg": ERRORS[40001]}
    if until <= now:
        return {"errcode": 42001, "errmsg": ERRORS[42001]}
    try:
        data = json.loads(body)
        openid, content = data["touser"], data["text"]["content"]
    except (ValueError, KeyError, TypeError):
        return {"errcode": 44002, "errmsg": ERRORS[44002]}
    if len(content.encode("utf-8")) > 2048:
        return {"errcode": 45002, "errmsg": ERRORS[45002]}
    if openid in state.unfollowed:
        return {"errcode": 43004, "errmsg": ERRORS[43004]}
    if now - state.last_wrote.get(openid, float("-inf")) > WINDOW:
        return {"errcode": 45015, "errmsg": ERRORS[45015]}
    with state.lock:
        state.sent.append({"touser": openid, "content": content, "at": now})
    if state.echo:
        print(f"=== custom/send to {openid} ===\n{content}\n", flush=True)
    return {"errcode": 0, "errmsg": "ok"}


def signed_query(state: State, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    return {"signature": sign(state.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def push(state: State, xml: bytes) -> tuple[int, str]:
    """Sign (and in safe mode encrypt) the push, post it to the server, note who wrote."""
    fields = xmltodict.parse(xml)["xml"]
    openid, event = fields.get("FromUserName", ""), (fields.get("Event") or "").lower()
    with state.lock:
        if event == "unsubscribe":
            state.unfollowed.add(openid)
        else:  # a message or a follow: the account may answer for 48 hours
            state.unfollowed.discard(openid)
            state.last_wrote[openid] = time.time()
    query = signed_query(state)
    body = xml
    if state.aes_key:
        crypto = WeChatCrypto(state.token, state.aes_key, state.app_id)
        envelope = xmltodict.parse(crypto.encrypt_message(xml.decode("utf-8"), query["nonce"], query["timestamp"]))
        query = {**query, "encrypt_type": "aes", "msg_signature": envelope["xml"]["MsgSignature"]}
        body = (f"<xml><ToUserName><![CDATA[{fields.get('ToUserName', '')}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['xml']['Encrypt']}]]></Encrypt></xml>").encode()
    return _call("POST", f"{state.server}?{urlencode(query)}", body)


def verify(state: State, echostr: str) -> tuple[int, str]:
    return _call("GET", f"{state.server}?{urlencode({**signed_query(state), 'echostr': echostr})}", None)


def _call(method: str, url: str, body: bytes | None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # WeChat waits five seconds
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


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
        state, url = self.server.state, urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path == "/cgi-bin/token":
            return self._reply(200, issue_token(state, query.get("appid", ""), query.get("secret", "")))
        if url.path == "/cgi-bin/message/custom/send" and self.command == "POST":
            return self._reply(200, custom_send(state, query.get("access_token", ""), body))
        if url.path.startswith("/control/"):
            return self._control(url.path.removeprefix("/control/"), body)
        self._reply(404, {"errcode": 404, "errmsg": "not found"})

    def _control(self, what: str, body: bytes) -> None:
        state = self.server.state
        if what == "sent" and self.command == "GET":
            with state.lock:
                return self._reply(200, list(state.sent))
        if self.command != "POST":
            return self._reply(404, {"error": "unknown control"})
        if what == "push":
            status, text = push(state, body)
            return self._reply(200, {"status": status, "body": text})
        options = json.loads(body or b"{}")
        if what == "verify":
            status, text = verify(state, str(options.get("echostr", "echo")))
            return self._reply(200, {"status": status, "body": text})
        if what == "fail":
            fail_next(state, int(options["errcode"]), int(options.get("times", 1)))
        elif what == "invalidate":
            invalidate(state)
        else:
            return self._reply(404, {"error": "unknown control"})
        self._reply(200, {"ok": True})

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)


def fail_next(state: State, errcode: int, times: int = 1) -> None:
    with state.lock:
        state.failures.append([errcode, times])


def invalidate(state: State) -> None:
    with state.lock:
        state.tokens.clear()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State


class WeChatStandIn:
    """The stand-in in a thread of this process (the tests' way); `api_base` is what
    MSGROUTER_WECHAT_API_BASE should say."""

    def __init__(self, token: str, app_id: str, app_secret: str, aes_key: str | None = None, server: str = "",
                 host: str = "127.0.0.1", port: int = 0, echo: bool = False) -> None:
        self.state = State(token, app_id, app_secret, aes_key, server, echo=echo)
        self._server = _Server((host, port), _Handler)
        self._server.state = self.state
        self.port = self._server.server_address[1]
        self.api_base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WeChatStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def sent(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.sent)

    def calls(self, name: str) -> int:
        with self.state.lock:
            return self.state.calls.count(name)

    def push(self, xml: bytes | str) -> tuple[int, str]:
        return push(self.state, xml.encode("utf-8") if isinstance(xml, str) else xml)

    def verify(self, echostr: str) -> tuple[int, str]:
        return verify(self.state, echostr)

    def fail_next(self, errcode: int, times: int = 1) -> None:
        fail_next(self.state, errcode, times)

    def invalidate_tokens(self) -> None:
        invalidate(self.state)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A stand-in for WeChat (its API and its pushes) on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--token", required=True, help="the server-configuration token (MSGROUTER_WECHAT_TOKEN)")
    parser.add_argument("--app-id", default="wx0123456789demo", help="MSGROUTER_WECHAT_APP_ID")
    parser.add_argument("--app-secret", default="demo-app-secret", help="MSGROUTER_WECHAT_APP_SECRET")
    parser.add_argument("--aes-key", default=None, help="MSGROUTER_WECHAT_AES_KEY: encrypt pushes (safe mode)")
    parser.add_argument("--server", default="http://127.0.0.1:8000/channels/wechat", help="msgrouter's URL")
    args = parser.parse_args(argv)
    try:
        standin = WeChatStandIn(args.token, args.app_id, args.app_secret, args.aes_key, args.server,
                                args.host, args.port, echo=True)
    except OSError as exc:
        sys.exit(f"wechat stand-in: cannot listen on {args.host}:{args.port}: {exc.strerror}")
    print(f"WeChat stand-in: API on {standin.api_base} (MSGROUTER_WECHAT_API_BASE), pushing to {args.server} "
          f"in {'safe' if args.aes_key else 'plain'} mode; every custom/send is printed here", file=sys.stderr,
          flush=True)
    with standin, contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
