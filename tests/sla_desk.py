"""A desk for SLA tests: the demo desk with one rule in front that counts email targets in
business time (the demo's `office` calendar: Asia/Shanghai, Mon–Fri 09:00–12:00 and
13:00–18:00, Chinese public holidays; `security` is 24x7)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from config.settings import DEFAULT_DESK

SHANGHAI = timezone(timedelta(hours=8))
FIRST_REPLY_H, NEXT_REPLY_H, RESOLUTION_H = 4, 2, 16

BUSINESS_RULE = f"""
[[sla]]
channel = "email"
urgency = "*"
first_reply = "{FIRST_REPLY_H}h"
next_reply = "{NEXT_REPLY_H}h"
resolution = "{RESOLUTION_H}h"
clock = "business"
warn_at = 0.5

"""


def business_desk(tmp_path: Path, monkeypatch) -> Path:
    text = DEFAULT_DESK.read_text(encoding="utf-8")
    cut = text.index("[[sla]]")
    path = tmp_path / "desk-business.toml"
    path.write_text(text[:cut] + BUSINESS_RULE + text[cut:], encoding="utf-8")
    monkeypatch.setenv("MSGROUTER_DESK_CONFIG", str(path))
    return path


def local(*args: int) -> datetime:
    """A wall-clock time at the office (UTC+8, no summer time), as an aware datetime."""
    return datetime(*args, tzinfo=SHANGHAI)
