"""Pool queues: the pools the agent may see, and a pool's unassigned work to claim with
one click, beside its agents' presence and load."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from router.desk.pool_members import members
from router.storage.db import read_scope
from router.storage.models import Pool
from router.web.access import Caller, page_caller, page_pool_for
from router.web.pages.render import page
from router.web.routes import queues

router = APIRouter(include_in_schema=False)

SHOWN = 100


@router.get("/pools")
def pools(request: Request, who: Caller = Depends(page_caller)) -> Response:
    return page(request, "pools.html", who.agent, pools=queues.pools(who))


@router.get("/pools/{name}")
def pool(request: Request, found: Pool = Depends(page_pool_for), who: Caller = Depends(page_caller)) -> Response:
    rows = queues.pool_queue(found, unassigned=True, limit=SHOWN, offset=0)
    assert found.id is not None
    with read_scope() as session:
        agents = members(session, found.id)
    return page(request, "pool.html", who.agent, pool=found, rows=rows, members=agents)
