"""Agent API tokens: random, shown once, stored only as a hash."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlmodel import Session

from router.models import Agent


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, agent_name: str) -> str:
    """A new token for the agent (the old one stops working)."""
    agent = session.execute(select(Agent).where(Agent.name == agent_name)).scalars().first()
    if agent is None:
        raise LookupError(f"no agent named {agent_name!r}")
    token = "mr_" + secrets.token_urlsafe(32)
    agent.token_hash = _hash(token)
    return token


def agent_for_token(session: Session, token: str) -> Agent | None:
    if not token:
        return None
    # The lookup is by hash, so timing reveals nothing about a valid token.
    return session.execute(select(Agent).where(Agent.token_hash == _hash(token))).scalars().first()
