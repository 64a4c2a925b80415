"""The chat demo page (`/chat/demo`): one HTML file with its script inline (no CDN), and a
demo customer signed on the server, so a new user can try the chat from a browser.

It signs only ids of the form `demo-...`, made up here, never an id the visitor picks from
the app's own customers; even so it is off unless the desk is the embedded development
desk or MSGROUTER_CHAT_DEMO says so, and production refuses it (config/settings.py).
"""
from __future__ import annotations

import json
import re
import secrets
from functools import cache
from html import escape
from pathlib import Path

from channels.chat.signature import sign

DEMO_ID = re.compile(r"^demo-[0-9a-f]{12}$")


def demo_customer(asked: str | None) -> str:
    """The id the visitor came back with, if it is a demo id, else a new one."""
    return asked if asked and DEMO_ID.match(asked) else f"demo-{secrets.token_hex(6)}"


@cache
def _template() -> str:
    return Path(__file__).with_name("demo.html").read_text(encoding="utf-8")


def page(secret: str, customer: str, desk_name: str, max_chars: int) -> str:
    config = json.dumps({"customer": customer, "signature": sign(secret, customer)})
    # Inside a <script> element only "</" could end it early.
    config = config.replace("</", "<\\/")
    return (_template().replace("__CONFIG__", config).replace("__DESK__", escape(desk_name))
            .replace("__MAX__", str(max_chars)))
