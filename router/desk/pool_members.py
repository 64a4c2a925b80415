"""Who works in a pool: its member agents with their presence and load, for the pool's
queue page and the conversation page's reassign form. One query, whatever the pool's size."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from router.storage.models import Agent, Membership, Pool


@dataclass(frozen=True)
class Member:
    name: str
    display_name: str
    status: str  # online | away | offline: only an online agent is assigned new work
    open_count: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.open_count >= self.capacity


def members(session: Session, pool_id: int) -> list[Member]:
    """The pool's agents, online first, then the least loaded, then by name."""
    rows = session.execute(select(Agent).join(Membership, col(Membership.agent_id) == col(Agent.id))
                           .where(col(Membership.pool_id) == pool_id)).scalars()
    found = [Member(a.name, a.display_name or a.name, a.status, a.open_count, a.capacity) for a in rows]
    order = {"online": 0, "away": 1}
    return sorted(found, key=lambda m: (order.get(m.status, 2), m.open_count, m.name))


def pool_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(col(Pool.id), col(Pool.name)).order_by(col(Pool.name))).all())
