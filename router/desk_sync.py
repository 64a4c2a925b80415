"""Bring the database's pools, agents and memberships in line with the desk configuration.

Agents removed from the file are kept (their history points at them) but set offline.
Runtime state (status, open count, tokens) of existing agents is left alone.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session

from config.desk import Desk
from router.models import Agent, Membership, Pool


def sync_desk(session: Session, desk: Desk) -> None:
    pools = {p.name: p for p in session.execute(select(Pool)).scalars()}
    for name, spec in desk.pools.items():
        pool = pools.get(name) or Pool(name=name)
        pool.description, pool.escalation = spec.description, spec.escalation
        session.add(pool)
        pools[name] = pool
    session.flush()
    agents = {a.name: a for a in session.execute(select(Agent)).scalars()}
    for spec in desk.agents:
        agent = agents.get(spec.name) or Agent(name=spec.name, status="online")
        agent.display_name, agent.email = spec.display_name, spec.email
        agent.capacity, agent.languages = spec.capacity, ",".join(spec.languages)
        session.add(agent)
        session.flush()
        session.execute(delete(Membership).where(Membership.agent_id == agent.id))
        for pool_name in spec.pools:
            session.add(Membership(agent_id=agent.id, pool_id=pools[pool_name].id))
    configured = {spec.name for spec in desk.agents}
    for name, agent in agents.items():
        if name not in configured:
            agent.status = "offline"
