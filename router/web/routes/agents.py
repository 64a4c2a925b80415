"""Admin API: the desk's agents, and issuing, listing and revoking their API tokens.

Agents, their roles and their pools come from the desk file (`desk.toml`, synced at
start-up), so they are listed here, not edited: the file stays the one source.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response, status
from sqlalchemy import select
from sqlmodel import col

from router.clock import iso
from router.desk.tokens import (
    TokenError,
    TokenNameTaken,
    UnknownAgent,
    UnknownToken,
    issue_token,
    list_tokens,
    revoke_token,
)
from router.storage.db import read_scope, session_scope
from router.storage.models import Agent, Membership, Pool
from router.web.access import Caller, admin
from router.web.errors import REFUSED_IN_WORDS, refusals
from router.web.models_out import AgentOut, IssuedToken, TokenOut
from router.web.params import AgentName, TokenName
from router.web.schemas import TokenIn

# Every route here is an admin's: anyone else is refused with 403.
router = APIRouter(prefix="/api/agents", tags=["admin"], responses=refusals(403))

def _refusal(exc: TokenError) -> HTTPException:
    if isinstance(exc, (UnknownAgent, UnknownToken)):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    if isinstance(exc, TokenNameTaken):
        return HTTPException(status.HTTP_409_CONFLICT, str(exc))
    return HTTPException(422, str(exc))


@router.get("")
def agents(who: Caller = Depends(admin)) -> list[AgentOut]:
    """Every agent with their role, pools, status and load."""
    with read_scope() as session:
        pools: dict[int, list[str]] = {}
        for agent_id, pool_name in session.execute(
                select(col(Membership.agent_id), col(Pool.name))
                .join(Pool, col(Pool.id) == col(Membership.pool_id)).order_by(col(Pool.name))):
            pools.setdefault(agent_id, []).append(pool_name)
        return [AgentOut(name=a.name, display_name=a.display_name, role=a.role, status=a.status,
                         pools=pools.get(a.id, []), capacity=a.capacity, open=a.open_count)
                for a in session.execute(select(Agent).order_by(col(Agent.name))).scalars()]


@router.get("/{name}/tokens", responses=refusals(404, 422))
def tokens(name: AgentName, who: Caller = Depends(admin)) -> list[TokenOut]:
    """The agent's tokens by name and creation time (never the tokens)."""
    try:
        with read_scope() as session:
            return [TokenOut(name=t.name, created_at=iso(t.created_at) or "") for t in list_tokens(session, name)]
    except TokenError as exc:
        raise _refusal(exc) from None


@router.post("/{name}/tokens", status_code=status.HTTP_201_CREATED,
             responses={**refusals(400, 404, 409, 413), **REFUSED_IN_WORDS})
def issue(name: AgentName, body: TokenIn, who: Caller = Depends(admin)) -> IssuedToken:
    """A new token for the agent, shown in this answer only; their other tokens keep working."""
    try:
        with session_scope() as session:
            token = issue_token(session, name, body.name, actor=who.agent.name)
            issued = list_tokens(session, name)[-1]
    except TokenError as exc:
        raise _refusal(exc) from None
    return IssuedToken(agent=name, name=issued.name, token=token)


@router.delete("/{name}/tokens/{token_name}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response, responses=refusals(404, 422))
def revoke(name: AgentName, token_name: TokenName, who: Caller = Depends(admin)) -> Response:
    """The token stops working at once; the agent's other tokens keep working."""
    try:
        with session_scope() as session:
            revoke_token(session, name, token_name, actor=who.agent.name)
    except TokenError as exc:
        raise _refusal(exc) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
