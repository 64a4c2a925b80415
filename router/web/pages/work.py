"""My work: the signed-in agent's open conversations, earliest deadline first, each with a
countdown that runs in the browser and turns colour at the SLA warning and at the breach."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlmodel import col

from router.clock import iso
from router.storage.db import read_scope
from router.storage.models import Conversation
from router.web.access import Caller, page_caller
from router.web.pages.render import page
from router.web.routes.queues import my_conversations

router = APIRouter(include_in_schema=False)

SHOWN = 200  # an agent's open work fits: capacity is in the tens


def warnings_at(ids: list[int]) -> dict[int, str | None]:
    """When each conversation's earliest deadline reaches its SLA warning: the next alarm
    tick will look at, while that is still before the deadline; None once it has passed
    (the next alarm is then the breach itself)."""
    with read_scope() as session:
        rows = session.execute(select(col(Conversation.id), col(Conversation.sla_check_at),
                                      col(Conversation.due_at)).where(col(Conversation.id).in_(ids))).all()
    return {cid: iso(check) if check and due and check < due else None for cid, check, due in rows}


@router.get("/work")
def work(request: Request, who: Caller = Depends(page_caller)) -> Response:
    rows = my_conversations(who, limit=SHOWN, offset=0)
    warn = warnings_at([r.id for r in rows])
    return page(request, "work.html", who.agent, rows=rows, warn=warn)
