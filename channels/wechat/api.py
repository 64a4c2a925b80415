"""The two calls of WeChat's HTTP API the desk makes: `/cgi-bin/token` and
`/cgi-bin/message/custom/send`, on MSGROUTER_WECHAT_API_BASE.

Their URLs carry the access token, and the token call the app secret, so no error raised
here quotes a URL: it names the error code, or the HTTP failure's kind and status.
"""
from __future__ import annotations

import json
from typing import Any

import httpx

from config.settings import Settings

# WeChat's answers that the desk acts on (errcode).
SYSTEM_BUSY = -1
INVALID_CREDENTIAL, INVALID_TOKEN, EXPIRED_TOKEN = 40001, 40014, 42001
OPENID_INVALID, NOT_FOLLOWING = 40003, 43004
API_LIMITED = 45009
OUT_OF_WINDOW, OUT_OF_REPLY_COUNT = 45015, 45047
STALE_TOKEN = (INVALID_CREDENTIAL, INVALID_TOKEN, EXPIRED_TOKEN)


class ApiError(RuntimeError):
    """WeChat said no (`errcode` set), or the call failed on the way (`errcode` None)."""

    def __init__(self, errcode: int | None, detail: str) -> None:
        super().__init__(f"{errcode} {detail}" if errcode is not None else detail)
        self.errcode = errcode
        self.detail = detail


def _call(client: httpx.Client, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        answer = client.request(method, url, **kwargs)
        answer.raise_for_status()
        data = answer.json()
    except httpx.HTTPStatusError as exc:
        raise ApiError(None, f"HTTP {exc.response.status_code} from the WeChat API") from None
    except httpx.HTTPError as exc:
        raise ApiError(None, f"{type(exc).__name__} calling the WeChat API") from None
    except ValueError:
        raise ApiError(None, "the WeChat API answered something that is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(None, "the WeChat API answered JSON that is not an object")
    code = data.get("errcode", 0)
    if code:
        raise ApiError(int(code), str(data.get("errmsg", "")))
    return data


def fetch_token(client: httpx.Client, settings: Settings) -> tuple[str, int]:
    """A new access token and its lifetime in seconds (WeChat gives 7,200)."""
    data = _call(client, "GET", f"{settings.wechat_api_base.rstrip('/')}/cgi-bin/token",
                 params={"grant_type": "client_credential", "appid": settings.wechat_app_id or "",
                         "secret": settings.wechat_app_secret or ""})
    token, lifetime = data.get("access_token"), data.get("expires_in", 7200)
    if not isinstance(token, str) or not token:
        raise ApiError(None, "the WeChat API gave no access_token")
    return token, int(lifetime)


def send_text(client: httpx.Client, settings: Settings, token: str, openid: str, text: str) -> None:
    """One customer-service text message to `openid`."""
    body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
    # As UTF-8, not \\u escapes: the API counts the length of what it receives.
    _call(client, "POST", f"{settings.wechat_api_base.rstrip('/')}/cgi-bin/message/custom/send",
          params={"access_token": token}, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
          headers={"Content-Type": "application/json; charset=utf-8"})
