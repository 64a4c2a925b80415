"""Helpers for the Telegram tests: the stored Update payloads and the settings that point
python-telegram-bot at the stand-in Bot API."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import reset_caches

UPDATES = Path(__file__).parent / "channels" / "telegram_updates"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the shape of a bot token, not a real one
SECRET = "webhook-secret_0123456789"


def update(name: str, **changes: object) -> dict:
    """The stored Update `name`.json, with top-level fields replaced (e.g. update_id)."""
    data = json.loads((UPDATES / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def point_at(monkeypatch, base_url: str) -> None:
    monkeypatch.setenv("MSGROUTER_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("MSGROUTER_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("MSGROUTER_TELEGRAM_BASE_URL", base_url)
    reset_caches()
