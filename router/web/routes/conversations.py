"""Agent API for one conversation: read it, reply, resolve, reassign, correct its labels,
mark it investigating, add an internal note."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import func, select
from sqlmodel import col

from config.desk import get_desk
from router.clock import iso, utcnow
from router.csat.ratings import surveys_of
from router.desk import conversations as actions
from router.desk import notes
from router.desk.corrections import CorrectionError, correct
from router.queue.doorbell import get_doorbell
from router.secrets.outbound_guard import OutboundRefused
from router.sla import investigating
from router.sla import metrics as sla_metrics
from router.storage.db import read_scope, session_scope
from router.storage.models import Agent, Attachment, Conversation, Customer, Event, Identity, Message, Pool, SlaAlarm
from router.web.access import (
    Investigating,
    Noting,
    Reading,
    Reassignment,
    Relabelling,
    Replying,
    Resolving,
    reassignment,
)
from router.web.errors import REFUSED_IN_WORDS, refusals
from router.web.models_out import (
    AttachmentOut,
    ConversationOut,
    CustomerOut,
    Deadlines,
    IdentityOut,
    InvestigationOut,
    NoteOut,
    OtherConversation,
    Reassigned,
    Relabelled,
    ReplyOut,
    Resolved,
    StatusUpdateOut,
    csat_out,
    event_out,
    message_out,
    note_out,
    seconds_left,
)
from router.web.schemas import InvestigatingIn, LabelsIn, NoteIn, ReplyIn

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


def _attachments(session, message_ids: list[int]) -> dict[int, list[AttachmentOut]]:
    # Names and sizes only: the files themselves stay in the database.
    rows = session.execute(select(col(Attachment.id), col(Attachment.message_id), col(Attachment.filename),
                                  col(Attachment.content_type), col(Attachment.size),
                                  col(Attachment.data).is_not(None).label("stored"))
                           .where(col(Attachment.message_id).in_(message_ids)).order_by(col(Attachment.id))).all()
    found: dict[int, list[AttachmentOut]] = {}
    for row in rows:
        found.setdefault(row.message_id, []).append(AttachmentOut(
            id=row.id, filename=row.filename, content_type=row.content_type, size=row.size, stored=row.stored))
    return found


def _other_conversations(session, c: Conversation, limit: int = 20) -> list[OtherConversation]:
    """The customer's other conversations on every channel, newest first, in brief."""
    found = session.execute(
        select(col(Conversation.id), col(Conversation.channel), col(Conversation.state),
               col(Conversation.subject), col(Conversation.created_at))
        .where(col(Conversation.customer_id) == c.customer_id, col(Conversation.id) != c.id)
        .order_by(col(Conversation.id).desc()).limit(limit)).all()
    return [OtherConversation(id=cid, channel=channel, state=state, subject=subject, created_at=iso(created))
            for cid, channel, state, subject, created in found]


# A body that is not UTF-8 gets FastAPI's own 400; one that is not JSON, or not the model, 422.
_BODY = refusals(400, 413)


@router.get("/{conversation_id}", responses=refusals(404, 422))
def show(target: Reading) -> ConversationOut:
    with read_scope() as session:
        c = target.load(session)
        agents = dict(session.execute(select(col(Agent.id), col(Agent.name))).all())
        messages = list(session.execute(select(Message).where(col(Message.conversation_id) == c.id)
                                        .order_by(col(Message.id))).scalars())
        attachments = _attachments(session, [m.id for m in messages])
        events = list(session.execute(select(Event).where(col(Event.conversation_id) == c.id)
                                      .order_by(col(Event.id))).scalars())
        customer = session.get(Customer, c.customer_id)
        assert customer is not None  # a conversation's customer is never deleted
        identities = session.execute(select(Identity).where(col(Identity.customer_id) == c.customer_id)).scalars()
        history = _other_conversations(session, c)
        pool = session.get(Pool, c.pool_id) if c.pool_id else None
        breached = set(session.execute(select(col(SlaAlarm.deadline)).where(
            col(SlaAlarm.conversation_id) == c.id, col(SlaAlarm.kind) == "breach")).scalars())
        desk, now, pool_name = get_desk(), utcnow(), pool.name if pool else None
        replies = sum(1 for m in messages if m.direction == "out" and not m.automatic)
        breaches = session.execute(select(func.count()).select_from(SlaAlarm).where(
            col(SlaAlarm.conversation_id) == c.id, col(SlaAlarm.kind) == "breach")).scalar_one()
        return ConversationOut(
            id=c.id, subject=c.subject, channel=c.channel, state=c.state,
            category=c.category, urgency=c.urgency, language=c.language,
            contains_secret=c.contains_secret, pool=pool_name,
            assignee=agents.get(c.assignee_id),
            customer=CustomerOut(id=customer.id, name=customer.display_name,
                                 identities=[IdentityOut(channel=i.channel, address=i.address,
                                                         undeliverable=i.undeliverable) for i in identities],
                                 conversations=history),
            created_at=iso(c.created_at), first_replied_at=iso(c.first_replied_at),
            resolved_at=iso(c.resolved_at), investigating_since=iso(c.investigating_since),
            deadlines=Deadlines(due_at=iso(c.due_at), seconds_left=seconds_left(c.due_at),
                                first_reply_due_at=iso(c.first_reply_due_at),
                                next_reply_due_at=iso(c.next_reply_due_at),
                                resolution_due_at=iso(c.resolution_due_at)),
            sla=sla_metrics.clocks(c, desk, pool_name, now, breached),
            metrics=sla_metrics.figures(c, desk, pool_name, replies, breaches, now),
            reasons=c.reasons,
            confidence=next((r["confidence"] for r in reversed(c.reasons) if "confidence" in r), None),
            messages=[message_out(m, attachments.get(m.id, []), agents) for m in messages],
            notes=[note_out(e) for e in events if e.kind == notes.KIND],
            events=[event_out(e) for e in events],
            csat=[csat_out(s) for s in surveys_of(session, c.id or 0)],
        )


@router.post("/{conversation_id}/reply", status_code=status.HTTP_201_CREATED,
             responses={**_BODY, **refusals(404, 409), **REFUSED_IN_WORDS})
def reply(body: ReplyIn, target: Replying) -> ReplyOut:
    try:
        with session_scope() as session:
            c = target.load(session)
            row = actions.reply(session, c, target.agent, body.text, wait_for_customer=body.wait_for_customer)
            result = ReplyOut(message_id=row.id, status=row.status, external_id=row.external_id, state=c.state)
    except OutboundRefused as exc:
        raise HTTPException(422, str(exc)) from None
    except actions.ActionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    get_doorbell().ring("outbound")
    return result


@router.post("/{conversation_id}/resolve", responses=refusals(404, 422))
def resolve(target: Resolving) -> Resolved:
    with session_scope() as session:
        c = target.load(session)
        request = actions.resolve(session, c, target.agent)
        result = Resolved(id=c.id, state=c.state)
    if request is not None:
        get_doorbell().ring("outbound")  # the rating request (router.csat.ratings)
    return result


@router.post("/{conversation_id}/reassign", responses={**_BODY, **refusals(403, 404, 409, 422)})
def reassign(move: Reassignment = Depends(reassignment)) -> Reassigned:
    try:
        with session_scope() as session:
            c = move.conversation.load(session)
            actions.reassign(session, c, move.conversation.agent, agent_name=move.agent, pool_name=move.pool)
            names = dict(session.execute(select(col(Agent.id), col(Agent.name))).all())
            pool = session.get(Pool, c.pool_id)
            return Reassigned(id=c.id, pool=pool.name if pool else None, assignee=names.get(c.assignee_id))
    except actions.ActionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.post("/{conversation_id}/notes", status_code=status.HTTP_201_CREATED,
             responses={**_BODY, **refusals(404), **REFUSED_IN_WORDS})
def add_note(body: NoteIn, target: Noting) -> NoteOut:
    """An internal note for the agents: stored redacted in the conversation's event log,
    shown on its page, never sent to the customer."""
    try:
        with session_scope() as session:
            return note_out(notes.add_note(session, target.load(session), target.agent, body.text))
    except notes.NoteRefused as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/{conversation_id}/labels", responses={**_BODY, **refusals(404), **REFUSED_IN_WORDS})
def relabel(body: LabelsIn, target: Relabelling) -> Relabelled:
    """Correct the category and/or urgency; kept for `msgrouter train --with-corrections`.
    A new category re-routes by the desk's rules, even to a pool the agent is not in."""
    try:
        with session_scope() as session:
            c = target.load(session)
            correct(session, c, target.agent, get_desk(), category=body.category, urgency=body.urgency)
            pool = session.get(Pool, c.pool_id) if c.pool_id else None
            names = dict(session.execute(select(col(Agent.id), col(Agent.name))).all())
            return Relabelled(id=c.id, category=c.category, urgency=c.urgency,
                              pool=pool.name if pool else None, assignee=names.get(c.assignee_id),
                              due_at=iso(c.due_at))
    except CorrectionError as exc:
        raise HTTPException(422, str(exc)) from None


def _investigation(c: Conversation, update: StatusUpdateOut | None = None) -> InvestigationOut:
    return InvestigationOut(id=c.id, state=c.state, investigating_since=iso(c.investigating_since),
                            due_at=iso(c.due_at), next_reply_due_at=iso(c.next_reply_due_at), status_update=update)


@router.post("/{conversation_id}/investigating", responses={**_BODY, **refusals(404, 409, 422)})
def start_investigating(body: InvestigatingIn, target: Investigating) -> InvestigationOut:
    """The desk is working on it: the next-reply clock runs; with `status_update` the
    customer gets the desk's templated update (automatic, not a first reply)."""
    try:
        with session_scope() as session:
            c = target.load(session)
            row = investigating.mark(session, c, target.agent, status_update=body.status_update)
            result = _investigation(c, None if row is None else
                                    StatusUpdateOut(message_id=row.id, language=row.language, status=row.status))
    except actions.ActionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    if row is not None:
        get_doorbell().ring("outbound")
    return result


@router.delete("/{conversation_id}/investigating", responses=refusals(404, 422))
def end_investigating(target: Investigating) -> InvestigationOut:
    """Finish the investigation without answering (a reply or a resolve also ends it); its
    next-reply clock runs on until someone answers. Nothing to do when there is none."""
    with session_scope() as session:
        c = target.load(session)
        investigating.end(session, c, target.agent)
        return _investigation(c)
