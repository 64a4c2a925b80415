"""Agent API for lists: pools and their queues, my own conversations, and the parked ones."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, literal_column, select
from sqlmodel import col

from router.storage.db import read_scope
from router.storage.models import Agent, Conversation, Customer, Membership, Message, Pool
from router.web.access import Caller, caller, pool_for, supervisor
from router.web.errors import refusals
from router.web.models_out import Me, PoolOut, QueueRow, queue_row
from router.web.params import Limit, Offset

router = APIRouter(prefix="/api", tags=["queues"])


def _rows(session, conversations: list[Conversation]) -> list[QueueRow]:
    ids = [c.id for c in conversations]
    pools = dict(session.execute(select(col(Pool.id), col(Pool.name))).all())
    agents = dict(session.execute(select(col(Agent.id), col(Agent.name))).all())
    customers = dict(session.execute(select(col(Customer.id), col(Customer.display_name)).where(
        col(Customer.id).in_({c.customer_id for c in conversations}))).all())
    last = select(func.max(col(Message.id))).where(col(Message.conversation_id).in_(ids),
                                              col(Message.direction) == "in") \
        .group_by(col(Message.conversation_id)).scalar_subquery()
    previews = {cid: (text or "").strip().split("\n", 1)[0][:140] for cid, text in session.execute(
        select(col(Message.conversation_id), col(Message.text)).where(col(Message.id).in_(last))).all()}
    return [queue_row(c, pools, agents, customers, previews) for c in conversations]


# Written out literally, so that the partial indexes ix_conversation_pool_open / _unassigned
# match it even in the generic plan of a statement psycopg has prepared on PostgreSQL.
OPEN = Conversation.state != literal_column("'resolved'")


def _open_ordered(query):
    """Queue order, which those indexes hold: a page is an index walk, not a sort of the pool.
    PostgreSQL's ascending btree keeps NULLs last; SQLite walks the index twice for them."""
    return query.where(OPEN).order_by(col(Conversation.due_at).nulls_last(), col(Conversation.id))


@router.get("/me")
def me(who: Caller = Depends(caller)) -> Me:
    agent = who.agent
    with read_scope() as session:
        pools = session.execute(select(col(Pool.name)).join(Membership, col(Membership.pool_id) == col(Pool.id))
                                .where(col(Membership.agent_id) == agent.id)).scalars().all()
    return Me(name=agent.name, display_name=agent.display_name, role=agent.role, status=agent.status,
              capacity=agent.capacity, open=agent.open_count, pools=list(pools),
              languages=agent.languages.split(","))


@router.get("/me/conversations", responses=refusals(422))
def my_conversations(who: Caller = Depends(caller), limit: Limit = 50, offset: Offset = 0) -> list[QueueRow]:
    with read_scope() as session:
        query = _open_ordered(select(Conversation).where(col(Conversation.assignee_id) == who.agent.id,
                                                         who.conversations()))
        return _rows(session, list(session.execute(query.limit(limit).offset(offset)).scalars()))


@router.get("/pools")
def pools(who: Caller = Depends(caller)) -> list[PoolOut]:
    """The caller's pools; every pool for a supervisor or admin."""
    with read_scope() as session:
        depth = dict(session.execute(select(col(Conversation.pool_id), func.count()).where(
            col(Conversation.state) != "resolved").group_by(col(Conversation.pool_id))).all())
        return [PoolOut(name=p.name, description=p.description, open=depth.get(p.id, 0), escalation=p.escalation)
                for p in session.execute(select(Pool).where(who.pools()).order_by(Pool.name)).scalars()]


@router.get("/pools/{name}/queue", responses=refusals(403, 404, 422))
def pool_queue(pool: Pool = Depends(pool_for),
               unassigned: bool = Query(False, description="only conversations nobody has yet"),
               limit: Limit = 50, offset: Offset = 0) -> list[QueueRow]:
    with read_scope() as session:
        query = _open_ordered(select(Conversation).where(col(Conversation.pool_id) == pool.id))
        if unassigned:
            query = query.where(col(Conversation.assignee_id).is_(None))
        return _rows(session, list(session.execute(query.limit(limit).offset(offset)).scalars()))


@router.get("/parked", responses=refusals(403, 422))
def parked(who: Caller = Depends(supervisor), limit: Limit = 50, offset: Offset = 0) -> list[QueueRow]:
    """Conversations holding only automatic mail (auto-replies, bounces, lists): nobody's
    work and off the clock, newest first; supervisors and admins only, like any conversation
    in no pool."""
    with read_scope() as session:
        query = select(Conversation).where(col(Conversation.state) == "parked") \
            .order_by(col(Conversation.id).desc())
        return _rows(session, list(session.execute(query.limit(limit).offset(offset)).scalars()))
