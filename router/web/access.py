"""Who may do what in the web app: the one place that decides it, for every route and
every dashboard page (the API's caller comes by token, a page's by session cookie).
A route names what it does (`conversation_for("reply")`,
`pool_for`, `admin`); this module loads the thing, checks the caller's role and pools,
and answers 401, 403 or 404. Routes never check access themselves.

Roles come from the desk file (`config.desk.ROLES`, the `agent.role` column):
- agent: reads and acts only on conversations of their pools, lists only their pools
  and their queues, and moves work only into their pools;
- supervisor: reads and acts on every conversation and every queue, whatever their pools;
- admin: everything a supervisor may (an admin in no pool still handles stray or
  escalated work, as a desk's operator is expected to), and issues, lists and revokes
  agents' API tokens and lists the agents.

Refusals: a conversation outside the caller's scope answers 404 with the same words as
one that does not exist, because whether a (security) case exists is itself what is
hidden, and its id tells nothing. Pools and the admin routes are named in the desk
file and the API docs every agent can read, so refusing them reveals nothing: 403.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from sqlalchemy import ColumnElement, select, true
from sqlmodel import Session, col

from router.storage.db import read_scope
from router.storage.models import Agent, Conversation, Membership, Pool
from router.web.deps import current_agent, session_agent
from router.web.params import ConversationId, PoolName
from router.web.schemas import ReassignIn

# Roles that see and act on every pool's work.
EVERY_POOL = frozenset({"supervisor", "admin"})
# What a route may do to one conversation. Today every action follows the same pool rule;
# the name keeps a later difference (a read-only role) out of the routes.
CONVERSATION_ACTIONS = frozenset({"read", "reply", "resolve", "reassign", "relabel", "investigate", "note"})


@dataclass(frozen=True)
class Caller:
    """The authenticated agent and the pools they are a member of."""

    agent: Agent
    pool_ids: frozenset[int]

    @property
    def sees_every_pool(self) -> bool:
        return self.agent.role in EVERY_POOL

    def may_work_in(self, pool_id: int | None) -> bool:
        # A conversation in no pool yet is nobody's pool work: supervisors and admins only.
        return self.sees_every_pool or (pool_id is not None and pool_id in self.pool_ids)

    def conversations(self) -> ColumnElement[bool]:
        """The SQL condition for the conversations this caller may list."""
        return true() if self.sees_every_pool else col(Conversation.pool_id).in_(self.pool_ids)

    def pools(self) -> ColumnElement[bool]:
        """The SQL condition for the pools this caller may list."""
        return true() if self.sees_every_pool else col(Pool.id).in_(self.pool_ids)


def caller(agent: Agent = Depends(current_agent)) -> Caller:
    """Every API route but health and docs depends on this (a test walks them to check)."""
    return _caller(agent)


def page_caller(agent: Agent = Depends(session_agent)) -> Caller:
    """Every dashboard page depends on this: the same caller, signed in by session cookie."""
    return _caller(agent)


def _caller(agent: Agent) -> Caller:
    with read_scope() as session:
        pool_ids = frozenset(session.execute(select(col(Membership.pool_id))
                                             .where(col(Membership.agent_id) == agent.id)).scalars())
    return Caller(agent, pool_ids)


def admin(who: Caller = Depends(caller)) -> Caller:
    if who.agent.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin may manage agents and their tokens")
    return who


def supervisor(who: Caller = Depends(caller)) -> Caller:
    """Work outside every pool (parked automatic mail) is for supervisors and admins, as a
    conversation in no pool is (`Caller.may_work_in`)."""
    if not who.sees_every_pool:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only supervisors and admins see work outside the pools")
    return who


def _no_conversation(conversation_id: int) -> HTTPException:
    # The same words whether it does not exist or is outside the caller's pools.
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no conversation #{conversation_id}")


@dataclass(frozen=True)
class ConversationAccess:
    """A conversation the caller may act on, checked as the request came in; `load`
    checks again in the route's own transaction, where the write happens."""

    id: int
    caller: Caller
    action: str

    @property
    def agent(self) -> Agent:
        return self.caller.agent

    def load(self, session: Session) -> Conversation:
        conversation = session.get(Conversation, self.id)
        if conversation is None or not self.caller.may_work_in(conversation.pool_id):
            raise _no_conversation(self.id)
        return conversation


def conversation_for(action: str, via: Callable[..., Caller] = caller) -> Callable[..., ConversationAccess]:
    """The dependency for a route doing `action` to /{conversation_id}, for the caller
    `via` gives (`caller` for the API, `page_caller` for the dashboard)."""
    if action not in CONVERSATION_ACTIONS:
        raise ValueError(f"unknown conversation action {action!r}; one of {sorted(CONVERSATION_ACTIONS)}")

    def conversation_access(conversation_id: ConversationId, who: Caller = Depends(via)) -> ConversationAccess:
        # Checked before the body is read, so a conversation outside the caller's scope
        # answers 404 whatever was sent, never a 422 that would tell it apart.
        access = ConversationAccess(conversation_id, who, action)
        with read_scope() as session:
            access.load(session)
        return access

    return conversation_access


# What routes declare, one per action: `def reply(body, target: Replying)`.
Reading = Annotated[ConversationAccess, Depends(conversation_for("read"))]
Replying = Annotated[ConversationAccess, Depends(conversation_for("reply"))]
Resolving = Annotated[ConversationAccess, Depends(conversation_for("resolve"))]
Reassigning = Annotated[ConversationAccess, Depends(conversation_for("reassign"))]
Relabelling = Annotated[ConversationAccess, Depends(conversation_for("relabel"))]
Investigating = Annotated[ConversationAccess, Depends(conversation_for("investigate"))]
Noting = Annotated[ConversationAccess, Depends(conversation_for("note"))]
# The same for dashboard pages, signed in by session.
PageReading = Annotated[ConversationAccess, Depends(conversation_for("read", page_caller))]
PageReplying = Annotated[ConversationAccess, Depends(conversation_for("reply", page_caller))]
PageResolving = Annotated[ConversationAccess, Depends(conversation_for("resolve", page_caller))]
PageReassigning = Annotated[ConversationAccess, Depends(conversation_for("reassign", page_caller))]
PageRelabelling = Annotated[ConversationAccess, Depends(conversation_for("relabel", page_caller))]
PageNoting = Annotated[ConversationAccess, Depends(conversation_for("note", page_caller))]


@dataclass(frozen=True)
class Reassignment:
    """A reassignment the caller may make: the conversation, and the targets they named."""

    conversation: ConversationAccess
    agent: str | None
    pool: str | None


def reassignment(body: ReassignIn, target: Reassigning) -> Reassignment:
    """Moving work into a pool takes membership of it (or a supervisor's or admin's role).
    Whom it is assigned to is the action's rule for everyone: a member of the pool (409)."""
    who = target.caller
    if body.pool is not None and not who.sees_every_pool:
        with read_scope() as session:
            pool_id = session.execute(select(col(Pool.id)).where(col(Pool.name) == body.pool)).scalar()
        # An unknown pool is left to the action, which names it (409).
        if pool_id is not None and pool_id not in who.pool_ids:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"you are not a member of pool {body.pool!r}: only its members "
                                "and supervisors move work into it")
    return Reassignment(target, body.agent, body.pool)


def pool_for(name: PoolName, who: Caller = Depends(caller)) -> Pool:
    """The pool named in the path, for a caller who may see its queue."""
    return _pool(name, who)


def page_pool_for(name: PoolName, who: Caller = Depends(page_caller)) -> Pool:
    return _pool(name, who)


def _pool(name: str, who: Caller) -> Pool:
    with read_scope() as session:
        pool = session.execute(select(Pool).where(col(Pool.name) == name)).scalars().first()
    if pool is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no pool named {name!r}")
    if not who.may_work_in(pool.id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"you are not a member of pool {name!r}")
    return pool


def report_pools(who: Caller, name: str | None) -> list[int] | None:
    """The pools a report counts for the caller: the one named (404 unknown, 403 not the
    caller's, as a pool's queue), else the caller's own, or None for supervisors and
    admins, whose reports count every conversation, those in no pool too."""
    if name is not None:
        pool = _pool(name, who)
        assert pool.id is not None  # read from the database
        return [pool.id]
    return None if who.sees_every_pool else sorted(who.pool_ids)
