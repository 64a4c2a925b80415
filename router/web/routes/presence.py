"""Agent API: the caller sets their own presence (online, away, offline)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from router.desk.presence import set_presence
from router.storage.db import session_scope
from router.web.access import Caller, caller
from router.web.errors import refusals
from router.web.models_out import PresenceOut
from router.web.schemas import PresenceIn

router = APIRouter(prefix="/api", tags=["queues"])


@router.put("/me/presence", responses=refusals(400, 413, 422))
def presence(body: PresenceIn, who: Caller = Depends(caller)) -> PresenceOut:
    """Away or offline: no new assignments, the open ones stay yours. Back online: the
    waiting work of your pools is assigned at once, up to your capacity."""
    assert who.agent.id is not None
    with session_scope() as session:
        change = set_presence(session, who.agent.id, body.status, actor=who.agent.name)
    return PresenceOut(status=change.status, before=change.before, assigned=change.assigned)
