"""Presence: an agent says whether they take new work (online), are away for a while (away)
or have left (offline). Assignment only ever picks online agents (router/desk/assign.py), so
this is the one place the status changes: it writes the row and a `presence` event, and an
agent coming back online at once gets the waiting work of their pools.

Going away or offline keeps the conversations the agent already has: they stay theirs
(the clock keeps running), and a supervisor reassigns them if the absence is long.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from router.clock import utcnow
from router.desk.assign import fill_queues
from router.storage.events import record
from router.storage.models import Agent, Membership

STATUSES = ("online", "away", "offline")


class UnknownPresence(ValueError):
    """A presence that is not one of STATUSES."""


@dataclass(frozen=True)
class PresenceChange:
    status: str
    before: str
    assigned: int  # waiting conversations given to the agent as they came online

    @property
    def changed(self) -> bool:
        return self.status != self.before


def set_presence(session: Session, agent_id: int, status: str, actor: str) -> PresenceChange:
    """Set the agent's presence; the same status again changes nothing and records nothing."""
    if status not in STATUSES:
        raise UnknownPresence(f"presence must be one of {', '.join(STATUSES)}, not {status!r}")
    agent = session.get(Agent, agent_id, with_for_update=True)
    if agent is None:
        raise LookupError(f"no agent with id {agent_id}")
    before = agent.status
    if before == status:
        return PresenceChange(status, before, 0)
    agent.status = status
    record(session, "presence", actor=actor, data={"agent": agent.name, "status": status, "before": before})
    assigned = 0
    if status == "online":
        # Work that waited while nobody of the pool was free flows to them now, not at the
        # next tick; fill_queues reads this transaction's status, so it counts them in.
        session.flush()
        pools = list(session.execute(select(col(Membership.pool_id))
                                     .where(col(Membership.agent_id) == agent_id)).scalars())
        if pools:
            assigned = fill_queues(session, utcnow(), pools)
    return PresenceChange(status, before, assigned)
