"""Bring the database's pools, agents and memberships in line with the desk configuration.

Agents removed from the file are kept (their history points at them) but set offline
and lose any role above agent, so a token left behind cannot act as a supervisor or admin.
Runtime state (status, open count, tokens) of existing agents is left alone.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session, col

from config.desk import Desk
from router.storage.models import Agent, Membership, Pool


def sync_desk(session: Session, desk: Desk) -> None:
    pools = {p.name: p for p in session.execute(select(Pool)).scalars()}
    for name, spec in desk.pools.items():
        pool = pools.get(name) or Pool(name=name)
        pool.description, pool.escalation = spec.description, spec.escalation
        session.add(pool)
        pools[name] = pool
    session.flush()
    agents = {a.name: a for a in session.execute(select(Agent)).scalars()}
    for agent_spec in desk.agents:
        agent = agents.get(agent_spec.name) or Agent(name=agent_spec.name, status="online")
        agent.display_name, agent.email = agent_spec.display_name, agent_spec.email
        agent.capacity, agent.languages = agent_spec.capacity, ",".join(agent_spec.languages)
        agent.role = agent_spec.role
        session.add(agent)
        session.flush()
        assert agent.id is not None  # flushed
        session.execute(delete(Membership).where(col(Membership.agent_id) == agent.id))
        for pool_name in agent_spec.pools:
            session.add(Membership(agent_id=agent.id, pool_id=pools[pool_name].id))
    configured = {spec.name for spec in desk.agents}
    for name, known in agents.items():
        if name not in configured:
            known.status, known.role = "offline", "agent"
