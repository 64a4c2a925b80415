"""The Supervisors page: SLA breaches and warnings as tick records them, latest first, and
every agent's presence, pools and load (open conversations of their capacity). The page
refreshes its two tables from the live stream (router/web/static/live.js)."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlmodel import col

from router.clock import iso
from router.storage.db import read_scope
from router.storage.models import Agent, Membership, Pool, SlaAlarm
from router.web.access import Caller, page_caller
from router.web.pages.render import page

router = APIRouter(include_in_schema=False)

SHOWN_ALARMS = 50  # the latest; the SLA report (/api/reports/sla) counts them all


@dataclass(frozen=True)
class AgentLoad:
    name: str
    display_name: str
    role: str
    presence: str
    pools: list[str]
    open: int
    capacity: int


@dataclass(frozen=True)
class AlarmRow:
    kind: str
    deadline: str
    conversation_id: int
    pool: str
    agent: str | None
    due_at: str
    at: str


def agent_loads() -> list[AgentLoad]:
    with read_scope() as session:
        pools: dict[int, list[str]] = {}
        for agent_id, pool in session.execute(select(col(Membership.agent_id), col(Pool.name))
                                              .join(Pool, col(Pool.id) == col(Membership.pool_id))
                                              .order_by(col(Pool.name))):
            pools.setdefault(agent_id, []).append(pool)
        return [AgentLoad(a.name, a.display_name, a.role, a.status, pools.get(a.id or 0, []), a.open_count, a.capacity)
                for a in session.execute(select(Agent).order_by(col(Agent.name))).scalars()]


def latest_alarms(limit: int = SHOWN_ALARMS) -> list[AlarmRow]:
    with read_scope() as session:
        rows = session.execute(select(SlaAlarm).order_by(col(SlaAlarm.id).desc()).limit(limit)).scalars()
        return [AlarmRow(a.kind, a.deadline, a.conversation_id, a.pool, a.agent, iso(a.due_at) or "", iso(a.at) or "")
                for a in rows]


@router.get("/supervisors")
def supervisors(request: Request, who: Caller = Depends(page_caller)) -> Response:
    if not who.sees_every_pool:
        return page(request, "refused.html", who.agent, status_code=403)
    return page(request, "supervisors.html", who.agent, agents=agent_loads(), alarms=latest_alarms())
