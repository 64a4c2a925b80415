"""The pipeline: the ordered steps every inbound message goes through, and the loop.

Each message of a batch runs in its own savepoint: a failing step rolls back that
message only, which is marked `failed` with the step and the error (`msgrouter replay`
runs it again); the batch commits once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from config.desk import get_desk
from router.clock import utcnow
from router.context import Context, Stop
from router.db import get_engine
from router.events import record
from router.models import Message, Pool
from router.steps import STEP_FUNCTIONS

log = logging.getLogger(__name__)

STEPS = (
    "thread",       # find the conversation this message continues
    "dedupe",       # the same text again from the same customer: attach, do not alert
    "open",         # no conversation found: open one
    "classify",     # category, urgency, language, with reasons
    "route",        # category (and language) -> pool
    "assign",       # an agent of the pool with capacity, or the pool queue
    "deadlines",    # first-reply, next-reply and resolution due times
    "acknowledge",  # an automatic answer in the customer's language
)
_unknown = set(STEPS) - set(STEP_FUNCTIONS)
if _unknown:  # fail at start-up, not at the first message
    raise RuntimeError(f"pipeline names unknown steps: {sorted(_unknown)}")
MAX_ATTEMPTS = 3  # a message failing from contention this often is parked as failed


@dataclass
class BatchResult:
    done: int = 0
    failed: int = 0
    outbound: int = 0


def run_steps(ctx: Context) -> None:
    for name in STEPS:
        ctx.step = name
        STEP_FUNCTIONS[name](ctx)


def _process_one(ctx: Context) -> None:
    try:
        run_steps(ctx)
    except Stop as stop:
        ctx.reason(ctx.step, f"stopped: {stop}")
        log.info("message %s stopped at %s: %s", ctx.message.id, ctx.step, type(stop).__name__)
    if ctx.conversation is not None:
        ctx.conversation.reasons = [*ctx.conversation.reasons, *ctx.reasons]
        ctx.conversation.updated_at = ctx.now
    ctx.message.status = "done"
    ctx.message.processed_at = ctx.now
    ctx.message.error = ctx.message.failed_step = None


def _mark_failed(session: Session, message_id: int, step: str, exc: Exception) -> None:
    message = session.get(Message, message_id)
    # Lock contention (a deadlock, a busy database) is worth another try; a bug is not.
    transient = isinstance(exc, OperationalError) and message.attempts < MAX_ATTEMPTS
    message.status = "pending" if transient else "failed"
    message.failed_step = step
    message.error = f"{type(exc).__name__}: {exc}"[:2000]
    if not transient:
        record(session, "failed", conversation_id=message.conversation_id, message_id=message_id,
               data={"step": step, "error": message.error[:300]})
    log.error("message %s failed at step %s: %s", message_id, step, type(exc).__name__)


def process_batch(ids: list[int], engine=None) -> BatchResult:  # noqa: ANN001
    desk, result = get_desk(), BatchResult()
    with Session(engine or get_engine(), expire_on_commit=False) as session, session.begin():
        pools = {p.name: p for p in session.execute(select(Pool)).scalars()}
        query = select(Message).where(Message.id.in_(ids)).order_by(Message.id)
        for message in list(session.execute(query).scalars()):
            ctx = Context(session=session, message=message, desk=desk, now=utcnow(), pools=pools)
            savepoint = session.begin_nested()
            try:
                _process_one(ctx)
                savepoint.commit()
            except Exception as exc:  # one message's failure must not sink the batch
                savepoint.rollback()
                _mark_failed(session, message.id, ctx.step, exc)
                result.failed += 1
                continue
            result.done += 1
            result.outbound += len(ctx.outbound)
    return result
