"""Shared dependencies of the web routes: the authenticated agent."""
from __future__ import annotations

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from router.db import read_scope
from router.models import Agent
from router.tokens import agent_for_token

bearer = HTTPBearer(auto_error=False, description="An agent token from `msgrouter token NAME`")


def current_agent(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Agent:
    token = credentials.credentials if credentials else ""
    with read_scope() as session:
        agent = agent_for_token(session, token)
    if agent is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid agent token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    return agent
