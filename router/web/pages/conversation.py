"""A conversation's page: the whole thread with the agents' internal notes, the triage
labels and their reasons, and the forms to reply (with or without waiting for the
customer, a macro inserted or not), correct the labels, claim, reassign, add a note and
resolve. Each form does what the API's route does, by calling it, so the two cannot drift;
a refusal (the outbound guard's among them) is shown on the page, the text kept (redacted,
as it would have been stored)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from config.desk import CATEGORIES, URGENCIES
from router.secrets.redact import redact
from router.web.access import (
    ConversationAccess,
    PageNoting,
    PageReading,
    PageReassigning,
    PageRelabelling,
    PageReplying,
    PageResolving,
    Reassignment,
    reassignment,
)
from router.web.pages.conversation_view import view
from router.web.pages.render import page
from router.web.pages.session import csrf_checked
from router.web.pages.work import warnings_at
from router.web.routes import conversations as api
from router.web.schemas import LabelsIn, NoteIn, ReassignIn, ReplyIn

router = APIRouter(prefix="/conversations", include_in_schema=False, dependencies=[Depends(csrf_checked)])
viewer = APIRouter(prefix="/conversations", include_in_schema=False)


def _show(request: Request, target: ConversationAccess, status_code: int = 200, **context) -> Response:
    c = api.show(target)
    # A refused form's draft wins over a macro asked for in the address.
    shown = {**view(target, c, request.query_params.get("macro")), **context}
    return page(request, "conversation.html", target.agent, status_code=status_code, c=c,
                categories=CATEGORIES, urgencies=URGENCIES, warn=warnings_at([target.id]).get(target.id),
                done=request.query_params.get("done"), **shown)


def _back(target: ConversationAccess, done: str) -> Response:
    return RedirectResponse(f"/conversations/{target.id}?done={done}", status_code=status.HTTP_303_SEE_OTHER)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
    return str(exc.detail) if isinstance(exc, HTTPException) else str(exc)


@viewer.get("/{conversation_id}")
def show(request: Request, target: PageReading) -> Response:
    return _show(request, target)


@router.post("/{conversation_id}/reply")
def reply(request: Request, target: PageReplying, text: str = Form(""), wait: bool = Form(False)) -> Response:
    try:
        api.reply(ReplyIn(text=text, wait_for_customer=wait), target)
    except (ValidationError, HTTPException) as exc:
        return _show(request, target, status.HTTP_422_UNPROCESSABLE_CONTENT, reply_error=_refusal(exc),
                     draft=redact(text).text)
    return _back(target, "sent")


@router.post("/{conversation_id}/labels")
def relabel(request: Request, target: PageRelabelling, category: str = Form(""), urgency: str = Form("")) -> Response:
    try:
        api.relabel(LabelsIn(category=category or None, urgency=urgency or None), target)
    except (ValidationError, HTTPException) as exc:
        return _show(request, target, status.HTTP_422_UNPROCESSABLE_CONTENT, labels_error=_refusal(exc))
    return _back(target, "labelled")


@router.post("/{conversation_id}/resolve")
def resolve(target: PageResolving) -> Response:
    api.resolve(target)
    return _back(target, "resolved")


@router.post("/{conversation_id}/claim")
def claim(request: Request, target: PageReassigning) -> Response:
    """Take the conversation: assign it to oneself, as the API's reassign would."""
    try:
        api.reassign(Reassignment(target, target.agent.name, None))
    except HTTPException as exc:
        return _show(request, target, exc.status_code, claim_error=_refusal(exc))
    return _back(target, "claimed")


@router.post("/{conversation_id}/reassign")
def reassign(request: Request, target: PageReassigning, agent: str = Form(""), pool: str = Form("")) -> Response:
    """To another agent of the pool and/or another pool, by the API's rules (an agent moves
    work only into their own pools; the new assignee must be a member of the pool)."""
    try:
        api.reassign(reassignment(ReassignIn(agent=agent or None, pool=pool or None), target))
    except ValidationError as exc:
        return _show(request, target, status.HTTP_422_UNPROCESSABLE_CONTENT, reassign_error=_refusal(exc))
    except HTTPException as exc:
        return _show(request, target, exc.status_code, reassign_error=_refusal(exc))
    return _back(target, "reassigned")


@router.post("/{conversation_id}/notes")
def note(request: Request, target: PageNoting, text: str = Form("")) -> Response:
    """An internal note: stored redacted, shown in the thread, never sent."""
    try:
        api.add_note(NoteIn(text=text), target)
    except (ValidationError, HTTPException) as exc:
        return _show(request, target, status.HTTP_422_UNPROCESSABLE_CONTENT, note_error=_refusal(exc),
                     note_draft=redact(text).text)
    return _back(target, "noted")
