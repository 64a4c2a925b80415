"""Agents' dashboard passwords: set one (`msgrouter passwd`), check one at sign-in. Only
the hasher's string is stored (argon2id via pwdlib, its salt and cost inside it); the
password itself is never stored, logged or echoed."""
from __future__ import annotations

import hashlib
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlmodel import Session, col

from router.storage.events import record
from router.storage.models import Agent

# Long enough that a guessed one is not the first thing tried; passphrases are welcome.
MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work one sign-in can ask for


class PasswordError(ValueError):
    """A password that cannot be set as given; the message says why (never quoting it)."""


@lru_cache(maxsize=1)
def hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _decoy() -> str:
    # Checked against when the name is unknown, so a sign-in takes as long either way and
    # its timing does not tell which agents exist.
    return hasher().hash("no agent has this password")


def check_new(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"a password has at most {MAX_LENGTH} characters")


def set_password(session: Session, agent_name: str, password: str, actor: str) -> None:
    check_new(password)
    agent = session.execute(select(Agent).where(col(Agent.name) == agent_name)).scalars().first()
    if agent is None:
        known = session.execute(select(col(Agent.name)).order_by(col(Agent.name))).scalars().all()
        raise PasswordError(f"no agent named {agent_name!r} (known agents: {', '.join(known) or 'none'})")
    agent.password_hash = hasher().hash(password)
    session.add(agent)
    record(session, "password_set", actor=actor, data={"agent": agent_name})


def authenticate(session: Session, agent_name: str, password: str) -> Agent | None:
    """The agent whose name and password these are, or None (unknown name, no password
    set, wrong password: one answer, one cost)."""
    agent = session.execute(select(Agent).where(col(Agent.name) == agent_name)).scalars().first()
    stored = agent.password_hash if agent is not None else None
    if len(password) > MAX_LENGTH or not hasher().verify(password, stored or _decoy()):
        return None
    return agent if stored else None


def stamp(agent: Agent) -> str:
    """A short fingerprint of the stored hash, kept in the session: setting a new password
    changes it, which ends every session signed in with the old one."""
    return hashlib.sha256((agent.password_hash or "").encode()).hexdigest()[:16]
