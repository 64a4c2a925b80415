"""The dashboard's browser session: a cookie signed with MSGROUTER_SECRET_KEY (Starlette's
SessionMiddleware, itsdangerous underneath) that ends after MSGROUTER_SESSION_IDLE_SECONDS
without a request, and the CSRF token every form carries.

CSRF: a random token kept in the signed session and written into each form; a POST whose
`csrf` field does not match it is refused (403) before anything happens. Another site can
make a browser send our cookie, but cannot read our pages to learn the token."""
from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from config.settings import Settings
from router.web.deps import SignInRequired

COOKIE = "msgrouter_session"


def install(app: FastAPI, settings: Settings) -> None:
    https_only = settings.production if settings.session_https_only is None else settings.session_https_only
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie=COOKIE,
                       max_age=settings.session_idle_seconds, same_site="lax", https_only=https_only)
    app.add_exception_handler(SignInRequired, _to_sign_in)


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    # After signing in, a GET comes back to the page asked for; a refused POST does not
    # repeat itself, so it goes to the start page.
    target = "/"
    if request.method == "GET" and request.url.path != "/":
        target = "/?next=" + quote(request.url.path, safe="/")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_checked(request: Request, csrf: str = Form("")) -> None:
    """The dependency of every form POST: the form's token is the session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(csrf.encode(), expected.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form has expired or did not come from this desk; "
                                                       "reload the page and try again")


def sign_in(request: Request, agent_id: int, stamp: str) -> None:
    # A fresh session (and CSRF token) on sign-in, so a session fixed before it is useless.
    request.session.clear()
    request.session.update({"agent_id": agent_id, "stamp": stamp, "csrf": secrets.token_urlsafe(32)})


def sign_out(request: Request) -> None:
    request.session.clear()
