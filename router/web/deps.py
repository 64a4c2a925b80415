"""Shared dependencies of the web routes: the authenticated agent, by API token (the API)
or by the signed session cookie (the dashboard's pages)."""
from __future__ import annotations

import time

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from router.desk.tokens import agent_for_token
from router.storage.db import read_scope
from router.storage.models import Agent

bearer = HTTPBearer(auto_error=False, description="An agent token from `msgrouter token NAME`")


def current_agent(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Agent:
    token = credentials.credentials if credentials else ""
    with read_scope() as session:
        agent = agent_for_token(session, token)
    if agent is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid agent token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    return agent


class SignInRequired(Exception):
    """A dashboard page asked for by nobody signed in (or a session that has ended):
    answered with a redirect to the sign-in form (router/web/pages/session.py)."""


def session_agent(request: Request) -> Agent:
    """The agent signed in to this browser session. The session holds the agent's id and a
    fingerprint of their password hash, so a new password ends the old sessions."""
    from router.desk.passwords import stamp

    agent_id = request.session.get("agent_id")
    agent = None
    if isinstance(agent_id, int):
        with read_scope() as session:
            agent = session.get(Agent, agent_id)
    if agent is None or agent.password_hash is None or request.session.get("stamp") != stamp(agent):
        request.session.pop("agent_id", None)
        raise SignInRequired
    # The idle time runs from the last request, not from sign-in: Starlette re-signs the
    # cookie (and so restarts its max_age) only when the session changes, so a request in a
    # new minute changes it. Once a minute at most, not every request, so most answers carry
    # no Set-Cookie.
    minute = int(time.time()) // 60
    if request.session.get("seen") != minute:
        request.session["seen"] = minute
    return agent
