"""Agent API tokens: random, shown once, stored only as a hash. An agent holds several,
each with a name (a laptop, a script), so issuing or revoking one leaves the others working.
Issuing and revoking are audited in the event log (who, for which agent, which token name;
never the token)."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, delete, select
from sqlmodel import Session, col

from router.storage.events import record
from router.storage.models import Agent, AgentToken

_AUTO_NAME = re.compile(r"^token-(\d+)$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class TokenError(Exception):
    """A token request that cannot be done as asked; the message says why."""


class UnknownAgent(TokenError, LookupError):
    """No agent of that name; the message lists the known ones."""


class UnknownToken(TokenError, LookupError):
    """The agent holds no token of that name; the message lists the ones it holds."""


class TokenNameTaken(TokenError):
    """The agent already holds a token of that name."""


@dataclass(frozen=True)
class TokenInfo:
    name: str
    created_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _agent(session: Session, agent_name: str) -> Agent:
    agent = session.execute(select(Agent).where(col(Agent.name) == agent_name)).scalars().first()
    if agent is None:
        known = session.execute(select(col(Agent.name)).order_by(col(Agent.name))).scalars().all()
        raise UnknownAgent(f"no agent named {agent_name!r} (known agents: {', '.join(known) or 'none'})")
    return agent


def _next_auto_name(names: list[str]) -> str:
    numbers = [int(m.group(1)) for m in map(_AUTO_NAME.match, names) if m]
    return f"token-{max(numbers, default=0) + 1}"


def issue_token(session: Session, agent_name: str, name: str | None = None, *, actor: str) -> str:
    """A new token for the agent, named `name` (default: the next free token-N); the
    agent's other tokens keep working. `actor` is who asked: an admin's name, or "cli"."""
    agent = _agent(session, agent_name)
    names = list(session.execute(select(col(AgentToken.name)).where(col(AgentToken.agent_id) == agent.id)).scalars())
    name = name or _next_auto_name(names)
    if not _NAME.match(name):
        raise TokenError(f"a token name is 1-64 letters, digits and _.@- (not {name!r})")
    if name in names:
        raise TokenNameTaken(f"agent {agent_name!r} already has a token named {name!r}: "
                             f"revoke it first (msgrouter token {agent_name} --revoke {name})")
    token = "mr_" + secrets.token_urlsafe(32)
    assert agent.id is not None  # a stored agent
    session.add(AgentToken(agent_id=agent.id, name=name, token_hash=_hash(token)))
    record(session, "token_issued", actor=actor, data={"agent": agent.name, "token_name": name})
    return token


def list_tokens(session: Session, agent_name: str) -> list[TokenInfo]:
    """The agent's tokens by name and creation time, oldest first (never the tokens)."""
    agent = _agent(session, agent_name)
    rows = session.execute(select(col(AgentToken.name), col(AgentToken.created_at))
                           .where(col(AgentToken.agent_id) == agent.id)
                           .order_by(col(AgentToken.created_at), col(AgentToken.id)))
    return [TokenInfo(name, created_at) for name, created_at in rows]


def revoke_token(session: Session, agent_name: str, name: str, *, actor: str) -> None:
    """The agent's token `name` stops working; UnknownToken, naming the agent's tokens, if absent."""
    agent = _agent(session, agent_name)
    removed = cast(CursorResult, session.execute(delete(AgentToken).where(
        col(AgentToken.agent_id) == agent.id, col(AgentToken.name) == name))).rowcount
    if not removed:
        held = [t.name for t in list_tokens(session, agent_name)]
        raise UnknownToken(f"agent {agent_name!r} has no token named {name!r} "
                          f"(its tokens: {', '.join(held) or 'none'})")
    record(session, "token_revoked", actor=actor, data={"agent": agent.name, "token_name": name})


def agent_for_token(session: Session, token: str) -> Agent | None:
    if not token:
        return None
    # The lookup is by hash, so timing reveals nothing about a valid token.
    return session.execute(select(Agent).join(AgentToken, col(AgentToken.agent_id) == col(Agent.id))
                           .where(col(AgentToken.token_hash) == _hash(token))).scalars().first()
