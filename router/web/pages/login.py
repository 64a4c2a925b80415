"""Signing in and out of the dashboard: `/` is the sign-in form for a stranger and the way
to My work for an agent already signed in."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import RedirectResponse, Response

from router.desk.passwords import authenticate, stamp
from router.storage.db import read_scope
from router.web.deps import SignInRequired, session_agent
from router.web.pages.render import page
from router.web.pages.session import csrf_checked, sign_in, sign_out

router = APIRouter(include_in_schema=False)


def _local(target: str) -> str:
    # Only a path on this desk: never another host ("//evil.example", "https://...").
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/work"


@router.get("/")
def start(request: Request, next_: str = Query("/work", alias="next")) -> Response:
    try:
        session_agent(request)
    except SignInRequired:
        return page(request, "login.html", None, next=_local(next_), failed=False)
    return RedirectResponse(_local(next_), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/login", dependencies=[Depends(csrf_checked)])
def login(request: Request, name: str = Form(""), password: str = Form(""),
          next_: str = Form("/work", alias="next")) -> Response:
    with read_scope() as session:
        agent = authenticate(session, name.strip(), password)
    if agent is None or agent.id is None:
        return page(request, "login.html", None, status_code=status.HTTP_401_UNAUTHORIZED,
                    next=_local(next_), failed=True, name=name)
    sign_in(request, agent.id, stamp(agent))
    return RedirectResponse(_local(next_), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout", dependencies=[Depends(csrf_checked)])
def logout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
