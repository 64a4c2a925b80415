"""The chat demo page: served with a signed demo customer on the development desk only,
never signing an id the visitor picks, and impossible to switch on in production."""
from __future__ import annotations

import json
import re

import httpx
import pytest
from pydantic import ValidationError

from channels.chat.signature import verify
from chat_client import SECRET
from conftest import reset_caches
from support import serve_app


def _page(monkeypatch, customer: str | None = None, **env: str) -> httpx.Response:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    from router.web.app import create_app

    with serve_app(create_app()) as base:
        return httpx.get(f"{base}/chat/demo", params={"customer": customer} if customer else None)


def _config(page: httpx.Response) -> dict:
    found = re.search(r'<script id="config" type="application/json">(.*?)</script>', page.text)
    assert found, page.text[:500]
    return json.loads(found.group(1))


def test_the_demo_page_signs_a_demo_customer(db_url, monkeypatch):
    page = _page(monkeypatch, MSGROUTER_CHAT_SECRET=SECRET, MSGROUTER_CHAT_DEMO="true")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    config = _config(page)
    assert re.fullmatch(r"demo-[0-9a-f]{12}", config["customer"])
    assert verify(SECRET, config["customer"], config["signature"])
    assert "<script src" not in page.text  # everything inline, nothing from elsewhere


def test_the_demo_page_signs_no_id_the_visitor_picks(db_url, monkeypatch):
    again = _page(monkeypatch, "demo-0123456789ab", MSGROUTER_CHAT_SECRET=SECRET, MSGROUTER_CHAT_DEMO="true")
    assert _config(again)["customer"] == "demo-0123456789ab"  # a returning demo customer
    forged = _config(_page(monkeypatch, "alice", MSGROUTER_CHAT_SECRET=SECRET, MSGROUTER_CHAT_DEMO="true"))
    assert forged["customer"] != "alice" and forged["customer"].startswith("demo-")


def test_the_demo_is_off_unless_the_desk_is_the_embedded_development_desk(db_url, monkeypatch):
    # The tests' desk has a Redis broker: separate processes, as in production.
    assert _page(monkeypatch, MSGROUTER_CHAT_SECRET=SECRET).status_code == 404
    assert _page(monkeypatch, MSGROUTER_CHAT_SECRET=SECRET, MSGROUTER_CHAT_DEMO="false",
                 MSGROUTER_BROKER_URL="memory://localhost/").status_code == 404
    monkeypatch.delenv("MSGROUTER_CHAT_DEMO")
    assert _page(monkeypatch, MSGROUTER_CHAT_SECRET=SECRET,
                 MSGROUTER_BROKER_URL="memory://localhost/").status_code == 200
    monkeypatch.delenv("MSGROUTER_CHAT_SECRET")
    assert _page(monkeypatch).status_code == 503  # on, but the chat itself is off


def test_production_refuses_the_demo(monkeypatch):
    from config.settings import Settings

    with pytest.raises(ValidationError, match="MSGROUTER_CHAT_DEMO"):
        Settings(environment="production", secret_key="a-real-secret-of-our-own", relay_host="relay.example.com",
                 chat_demo=True)
    production = Settings(environment="production", secret_key="a-real-secret-of-our-own",
                          relay_host="relay.example.com", broker_url="memory://localhost/")
    assert production.chat_demo_on is False
