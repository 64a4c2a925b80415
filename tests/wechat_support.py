"""Helpers for the WeChat tests: the stored pushes, the settings that point msgrouter at the
stand-in, and the stand-in itself pushing to the running web app."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import reset_caches
from standins.wechat_api import WeChatStandIn

PUSHES = Path(__file__).parent / "channels" / "wechat_pushes"
TOKEN = "wechat-server-token-0123"
APP_ID = "wx5f3e2d1c0b9a8776"
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # the shape of an app secret, not a real one
AES_KEY = "9Eb0ibSnAL2pNHFOSXOLZ/bCNZE7MSpVRKIeCINa6ac"  # 43 characters, as WeChat hands them out
OPENID = "oK7wX5mZb2Qy8rTn4LpDc1VhGe3A"  # the sender of text.xml and its kin
FOLLOWER = "oK7wX9nRc4Tz1uVp6MqEd2WjHf8B"  # the sender of subscribe.xml


def push_xml(name: str, **fields: str | int) -> bytes:
    """The stored push `name`.xml with the named elements' values replaced (MsgId=..., ...)."""
    xml = (PUSHES / f"{name}.xml").read_text(encoding="utf-8")
    for tag, value in fields.items():
        pattern = rf"(<{tag}>(?:<!\[CDATA\[)?).*?((?:\]\]>)?</{tag}>)"
        xml, found = re.subn(pattern, lambda m, v=value: f"{m.group(1)}{v}{m.group(2)}", xml, flags=re.S)
        assert found == 1, f"{name}.xml has no {tag}"
    return xml.encode("utf-8")


def point_at(monkeypatch, api_base: str, aes_key: str | None = None) -> None:
    monkeypatch.setenv("MSGROUTER_WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("MSGROUTER_WECHAT_APP_ID", APP_ID)
    monkeypatch.setenv("MSGROUTER_WECHAT_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("MSGROUTER_WECHAT_API_BASE", api_base)
    if aes_key:
        monkeypatch.setenv("MSGROUTER_WECHAT_AES_KEY", aes_key)
    else:
        monkeypatch.delenv("MSGROUTER_WECHAT_AES_KEY", raising=False)
    reset_caches()


@contextmanager
def wechat_standin(monkeypatch, base: str, aes_key: str | None = None) -> Iterator[WeChatStandIn]:
    """The stand-in WeChat, pushing to the web app at `base` and serving its API to msgrouter."""
    with WeChatStandIn(TOKEN, APP_ID, APP_SECRET, aes_key, server=f"{base}/channels/wechat") as standin:
        point_at(monkeypatch, standin.api_base, aes_key)
        yield standin
