"""The customer's rating page, opened from the signed link in our rating request: no
sign-in, the signed token is the permission (and, being unguessable and in the URL the
form posts to, the CSRF protection too).

GET shows the question (1-5 and a comment) in the conversation's language; POST records
the answer once (a second answer is told "already rated" and the first one stays). A link
that is not ours gets 400, an expired one 410, and neither stores anything; too many posts
from one client get 429.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from config.settings import get_settings
from router.csat import ratings as csat
from router.csat.links import LinkRefused, survey_of
from router.queue.rate_limits import for_app
from router.storage.db import read_scope, session_scope
from router.storage.models import Conversation, Csat
from router.web.pages import strings
from router.web.pages.render import templates

router = APIRouter(include_in_schema=False)


def _render(request: Request, lang: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, "csat.html", {
        "t": strings.TEXT[lang], "lang": lang, "agent": None, "csrf": "", "max_comment": csat.MAX_COMMENT,
        **context}, status_code=status_code)


def _browser_language(request: Request) -> str:
    return strings.for_browser(request.headers.get("accept-language", ""))


def _load(session: Session, token: str) -> tuple[Csat, str]:
    """The survey the token names and the language to ask in; LinkRefused otherwise."""
    survey = session.get(Csat, survey_of(token))
    if survey is None:  # signed by us for a survey that is gone: a database restored, say
        raise LinkRefused("this rating link is not valid")
    conversation = session.get(Conversation, survey.conversation_id)
    language = conversation.language if conversation is not None else "en"
    return survey, language if language in strings.TEXT else "en"


def _refused(request: Request, refusal: LinkRefused) -> HTMLResponse:
    code = status.HTTP_410_GONE if refusal.expired else status.HTTP_400_BAD_REQUEST
    return _render(request, _browser_language(request), code, outcome="expired" if refusal.expired else "invalid")


@router.get("/csat/{token}", response_class=HTMLResponse)
def ask(request: Request, token: str) -> HTMLResponse:
    try:
        with read_scope() as session:
            survey, lang = _load(session, token)
    except LinkRefused as refusal:
        return _refused(request, refusal)
    if survey.score is not None:
        return _render(request, lang, outcome="already")
    return _render(request, lang, token=token, conversation_id=survey.conversation_id)


@router.post("/csat/{token}", response_class=HTMLResponse)
def answer(request: Request, token: str, score: str = Form(""), comment: str = Form("")) -> HTMLResponse:
    client = request.client.host if request.client else "unknown"
    wait = for_app(request.app.state).hit(get_settings().csat_rate_per_ip, "csat", "ip", client)
    if wait:
        busy = _render(request, _browser_language(request), status.HTTP_429_TOO_MANY_REQUESTS, outcome="busy")
        busy.headers["Retry-After"] = str(wait)
        return busy
    try:
        with session_scope() as session:
            survey, lang = _load(session, token)
            error = _invalid(score, comment)
            if error:
                return _render(request, lang, status.HTTP_422_UNPROCESSABLE_CONTENT, token=token, error=error,
                               conversation_id=survey.conversation_id, comment=comment,
                               score=int(score) if score in ("1", "2", "3", "4", "5") else None)
            first = csat.rate(session, survey.id or 0, int(score), comment, csat.LINK)
    except LinkRefused as refusal:
        return _refused(request, refusal)
    return _render(request, lang, outcome="thanks" if first else "already")


def _invalid(score: str, comment: str) -> str | None:
    if score.strip() not in ("1", "2", "3", "4", "5"):
        return "pick"
    if len(comment) > csat.MAX_COMMENT:
        return "too_long"
    return None
