"""Rendering a dashboard page: the Jinja2 templates shipped in the package, every page
given the words of its language, the signed-in agent and the session's CSRF token."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from router.storage.db import read_scope
from router.storage.models import Agent
from router.web.live_feed import latest_event_id
from router.web.pages import strings
from router.web.pages.session import csrf_token

WEB = Path(__file__).resolve().parents[1]
templates = Jinja2Templates(directory=WEB / "templates")  # autoescapes .html


def page(request: Request, template: str, agent: Agent | None, status_code: int = 200,
         **context: Any) -> HTMLResponse:
    lang = strings.for_agent(agent) if agent else strings.for_browser(request.headers.get("accept-language", ""))
    return templates.TemplateResponse(request, template, {
        "t": strings.TEXT[lang], "lang": lang, "agent": agent, "csrf": csrf_token(request),
        "live_after": _latest_event() if agent else 0, **context,
    }, status_code=status_code)


def _latest_event() -> int:
    """The event log's last id as the page is rendered: its live stream starts there, so
    what happens while the page loads is still sent (router/web/pages/live.py)."""
    with read_scope() as session:
        return latest_event_id(session)
