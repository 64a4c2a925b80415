"""Customer satisfaction: on resolution the customer is asked for a rating (1-5 and a
comment) through their channel, and their answer lands on that resolution, once.

`ask` runs inside the resolve's transaction: it writes the survey row and queues the
request through the outbox (so it is delivered, retried and parked like any reply); the
caller rings the `outbound` doorbell after commit. `rate` records an answer, from the
signed link's page or from a Telegram reply (router/steps/rating.py): one conditional
UPDATE, so two answers at once cannot both land, and the first one stays.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from channels import get_channel
from config.desk import get_desk
from config.settings import get_settings
from router.clock import utcnow
from router.csat import links as csat_links
from router.csat import text as csat_text
from router.delivery.outbox import queue_outbound
from router.secrets.redact import redact
from router.storage import rows
from router.storage.events import record
from router.storage.models import Conversation, Csat, Message
from router.storage.rows import Row

MAX_COMMENT = 2000  # characters kept of a comment
LINK = "link"  # `rated_by` of an answer given on the link's page
# A reply that is a rating: the score alone (what a keyboard tap sends), as a digit
# (full-width too) or as stars, then optionally a comment after a space or a line break.
_REPLY = re.compile(r"\A\s*(?:([1-5\uff11-\uff15])|((?:\u2b50\ufe0f?){1,5}|\u2605{1,5}))(?:\s+(.*))?\Z", re.DOTALL)


def window() -> timedelta:
    return timedelta(days=get_settings().csat_link_days)


def _wanted(session: Session, conversation: Conversation) -> bool:
    """Ask only customers a person answered (not spam, duplicates or machine mail closed
    unanswered), and never an address that is a machine's."""
    if not get_settings().csat or conversation.first_replied_at is None:
        return False
    last = session.execute(select(col(Message.auto_submitted)).where(
        col(Message.conversation_id) == conversation.id, col(Message.direction) == "in")
        .order_by(col(Message.id).desc()).limit(1)).scalar()
    return last is False


def ask(session: Session, conversation: Conversation, now: datetime) -> Row | None:
    """Queue the rating request for the conversation's resolution just made; returns the
    outbound message, or None when this customer is not asked."""
    if conversation.resolved_at is None or not _wanted(session, conversation):
        return None
    assert conversation.id is not None  # read from the database
    survey = Csat(conversation_id=conversation.id, resolved_at=conversation.resolved_at,
                  pool_id=conversation.pool_id, channel=conversation.channel, requested_at=now)
    session.add(survey)
    session.flush()  # its id goes into the link
    assert survey.id is not None
    by_reply = bool(getattr(get_channel(conversation.channel), "RATES_BY_REPLY", False))
    subject, body = csat_text.request_text(
        conversation.language, conversation_id=conversation.id, subject=conversation.subject,
        desk=get_desk().desk.name, link=None if by_reply else csat_links.link_for(survey.id),
        days=get_settings().csat_link_days)
    row = queue_outbound(session, conversation, body, subject=subject, now=now, automatic=True,
                         choices=csat_text.CHOICES if by_reply else None)
    survey.message_id = row.id
    record(session, "csat_requested", conversation_id=conversation.id, message_id=row.id,
           data={"survey_id": survey.id, "channel": conversation.channel,
                 "by": "reply" if by_reply else LINK})
    return row


def parse_reply(text: str) -> tuple[int, str] | None:
    """(score, comment) when the text is a rating, else None."""
    found = _REPLY.match(text or "")
    if found is None:
        return None
    digit, stars, comment = found.groups()
    score = len(stars.replace("\ufe0f", "")) if stars else int(digit)  # int() reads full-width digits too
    return score, (comment or "").strip()


def clean_comment(comment: str) -> str:
    """What is kept of a comment: secrets redacted before anything is stored, then cut."""
    return redact(comment.strip()).text[:MAX_COMMENT]


def rate(session: Session, survey_id: int, score: int, comment: str, rated_by: str,
         now: datetime | None = None, message_id: int | None = None) -> bool:
    """Record the answer; False when the survey has one already (the first stays)."""
    if not 1 <= score <= 5:
        raise ValueError("a rating is a whole number from 1 to 5")
    now, comment = now or utcnow(), clean_comment(comment)
    table = rows.table_of(Csat)
    done = session.execute(update(table).where(table.c.id == survey_id, table.c.score.is_(None))
                           .values(score=score, comment=comment, rated_by=rated_by, rated_at=now))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    conversation_id = session.execute(select(col(Csat.conversation_id)).where(col(Csat.id) == survey_id)).scalar()
    record(session, "csat_rated", conversation_id=conversation_id, message_id=message_id, actor="customer",
           data={"survey_id": survey_id, "score": score, "comment": comment, "by": rated_by})
    return True


def awaiting(session: Session, customer_ids: set[int], channels: set[str], now: datetime) -> dict[tuple[int, str], Row]:
    """(customer id, channel) -> their newest unrated survey still within the window, each
    locked until the transaction ends (a rating by link meanwhile waits, then finds it rated)."""
    if not customer_ids or not channels:
        return {}
    conversations = select(col(Conversation.id)).where(col(Conversation.customer_id).in_(customer_ids))
    found = rows.load(session, Csat, (col(Csat.conversation_id).in_(conversations)) & col(Csat.channel).in_(channels)
                      & col(Csat.score).is_(None) & (col(Csat.requested_at) >= now - window()),
                      order_by=col(Csat.id), lock=True)
    owners = dict(session.execute(select(col(Conversation.id), col(Conversation.customer_id)).where(
        col(Conversation.id).in_({s.conversation_id for s in found}))).all()) if found else {}
    return {(owners[s.conversation_id], s.channel): s for s in found}  # the newest wins: id order


def write_ratings(session: Session, rated: list[Row]) -> None:
    """The batch's ratings by reply, in one statement; each survey was loaded unrated and
    locked by `awaiting`, so each lands."""
    if not rated:
        return
    table = rows.table_of(Csat)
    session.connection().execute(
        update(table).where(table.c.id == bindparam("_id"), table.c.score.is_(None)).values(
            score=bindparam("_score"), comment=bindparam("_comment"), rated_by=bindparam("_by"),
            rated_at=bindparam("_at")),
        [{"_id": s.id, "_score": s.score, "_comment": s.comment, "_by": s.rated_by, "_at": s.rated_at}
         for s in rated])


def surveys_of(session: Session, conversation_id: int) -> list[Csat]:
    """The conversation's surveys, oldest resolution first."""
    return list(session.execute(select(Csat).where(col(Csat.conversation_id) == conversation_id)
                                .order_by(col(Csat.id))).scalars())

