"""The presence control in every page's header: the signed-in agent sets their own
presence with a form (CSRF-checked) and comes back to the page they were on."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, status
from fastapi.responses import RedirectResponse, Response

from router.desk.presence import STATUSES, set_presence
from router.storage.db import session_scope
from router.web.access import Caller, page_caller
from router.web.pages.login import _local
from router.web.pages.session import csrf_checked

router = APIRouter(include_in_schema=False)


@router.post("/presence", dependencies=[Depends(csrf_checked)])
def presence(presence: str = Form(""), back: str = Form("/work"), who: Caller = Depends(page_caller)) -> Response:
    if presence not in STATUSES:
        raise HTTPException(422,
                            f"presence must be one of {', '.join(STATUSES)}")
    assert who.agent.id is not None
    with session_scope() as session:
        set_presence(session, who.agent.id, presence, actor=who.agent.name)
    return RedirectResponse(_local(back), status_code=status.HTTP_303_SEE_OTHER)
