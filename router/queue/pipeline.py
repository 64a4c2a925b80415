"""The pipeline: the ordered steps a claimed batch of inbound messages goes through.

Each step acts on the whole batch at once: it loads what it needs for all messages
with a fixed number of queries, decides in memory, message by message in arrival order,
and the batch writes its rows in bulk and commits once. The first steps find every
message's conversation; the rest run over runs of messages that touch distinct
conversations, so two messages of one conversation are decided in the order they came,
exactly as if each had gone through the pipeline alone.

A message whose step raises is set aside as `failed` with the step and the error
(`msgrouter replay` runs it again) and the batch is run again without it.
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from config.desk import get_desk
from router import metrics
from router.clock import utcnow
from router.logs import log_extra
from router.queue.batch import Batch, Item, ItemFailed
from router.steps import PREPARE_FUNCTIONS, STEP_FUNCTIONS
from router.storage import rows
from router.storage.db import get_engine, read_scope
from router.storage.events import record
from router.storage.models import Conversation, Message, Pool

log = logging.getLogger(__name__)

# Which conversation each message belongs to: decided for the whole batch at once.
FIND_STEPS = (
    "thread",       # the customer, and the conversation this message continues
    "rating",       # the answer to a rating request: lands on its resolution, opens nothing
    "dedupe",       # the same text again from the same customer: attach, do not alert
    "automatic",    # machine-written mail: attach or park, never work; bounces mark addresses
    "repeat",       # the sender wrote again soon, threading nothing: their recent open case
    "open",         # no conversation found: open one (parked for automatic mail)
)
# What happens to the conversation: decided per run of distinct conversations.
DECIDE_STEPS = (
    "classify",     # category, urgency, language, with reasons
    "route",        # category (and language) -> pool
    "assign",       # an agent of the pool with capacity, or the pool queue
    "deadlines",    # first-reply, next-reply and resolution due times
    "acknowledge",  # an automatic answer in the customer's language
)
STEPS = FIND_STEPS + DECIDE_STEPS
_unknown = set(STEPS) - set(STEP_FUNCTIONS)
if _unknown:  # fail at start-up, not at the first message
    raise RuntimeError(f"pipeline names unknown steps: {sorted(_unknown)}")
MAX_ATTEMPTS = 3  # a message failing from contention this often is parked as failed


@dataclass
class BatchResult:
    done: int = 0
    failed: int = 0
    outbound: int = 0
    # (channel, created_at) of each message done, for the latency histogram.
    accepted: list[tuple[str, datetime]] = field(default_factory=list)


def runs_of_distinct_conversations(items: list[Item]) -> list[list[Item]]:
    """Cut the batch, in order, wherever a conversation comes round again."""
    runs: list[list[Item]] = [[]]
    seen: set[int] = set()
    for item in items:
        if item.stopped is not None:
            continue
        key = id(item.conversation)
        if key in seen:
            runs.append([])
            seen.clear()
        runs[-1].append(item)
        seen.add(key)
    return [run for run in runs if run]


def _run_steps(batch: Batch) -> None:
    for name in FIND_STEPS:
        batch.step = name
        STEP_FUNCTIONS[name](batch)
    for run in runs_of_distinct_conversations(batch.items):
        batch.run = run
        for name in DECIDE_STEPS:
            batch.step = name
            STEP_FUNCTIONS[name](batch)
    batch.run = None
    batch.step = "finish"
    _finish(batch)


# What the pipeline writes back of each message and of each conversation: what its steps
# may change (a conversation's customer, channel, subject, creation and first reply are
# not theirs to change).
MESSAGE_COLUMNS = ("conversation_id", "status", "processed_at", "error", "failed_step",
                   "category", "urgency", "language")
CONVERSATION_COLUMNS = ("state", "category", "urgency", "language", "contains_secret", "pool_id",
                        "assignee_id", "updated_at", "last_inbound_at", "resolved_at",
                        "first_reply_due_at", "next_reply_due_at", "resolution_due_at", "due_at",
                        "next_reply_since", "sla_check_at", "pauses", "reasons")


def _finish(batch: Batch) -> None:
    """Every message done, every conversation carrying its messages' reasons; each table
    written with one statement."""
    for item in batch.items:
        message, conversation = item.message, item.conversation
        if conversation is not None:
            message.conversation_id = conversation.id
            conversation.reasons = [*conversation.reasons, *item.reasons]
            conversation.updated_at = batch.now
        message.status, message.processed_at = "done", batch.now
        message.error = message.failed_step = None
    session = batch.session
    # New conversations first: the messages name them. Inserted whole, as the steps left
    # them (the steps change no column of a new one but CONVERSATION_COLUMNS).
    rows.insert_drawn(session, Conversation, batch.opened)
    rows.update_all(session, Message, [i.message for i in batch.items], MESSAGE_COLUMNS)
    opened = {id(row) for row in batch.opened}
    touched = {id(i.conversation): i.conversation for i in batch.items
               if i.conversation is not None and id(i.conversation) not in opened}
    rows.update_all(session, Conversation, touched.values(), CONVERSATION_COLUMNS)
    rows.insert_all(session, Message, [row for item in batch.items for row in item.outbound])
    for write in batch.on_finish:
        write()
    batch.write_events()


class BatchFailed(Exception):
    """A statement for the whole batch failed: no one message can be blamed yet."""

    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"batch failed at {step}: {error!r}")
        self.step, self.error = step, error


def _attempt(session: Session, ids: list[int], prepared: dict[str, dict[int, Any]]) -> BatchResult:
    pools = {p.name: p for p in session.execute(select(Pool)).scalars()}
    # Each attempt starts from the claimed rows as `prepare` read them: a failed attempt's
    # changes to its copies are gone with its transaction.
    claimed = prepared[MESSAGES]
    messages = [copy.copy(claimed[i]) for i in ids if i in claimed]
    batch = Batch(session=session, desk=get_desk(), now=utcnow(), pools=pools,
                  items=[Item(message=m) for m in messages], prepared=prepared)
    try:
        _run_steps(batch)
    except ItemFailed:
        raise
    except Exception as exc:
        raise BatchFailed(batch.step, exc) from exc
    return BatchResult(done=len(batch.items), outbound=sum(len(i.outbound) for i in batch.items),
                       accepted=[(i.message.channel, i.message.created_at) for i in batch.items])


Prepared = dict[str, dict[int, Any]]  # step -> message id -> what its `prepare` worked out
MESSAGES = "messages"  # in Prepared: message id -> the claimed row, as read before the transaction


def prepare(ids: list[int], engine=None) -> Prepared:
    """The steps' work that needs no database, done before the write transaction opens,
    and the claimed messages themselves (`MESSAGES`): claimed, no one else changes them,
    so the transaction need not read them again. On SQLite that read in the transaction
    was a tenth of the drain's turn of the write lock, which embedded is the desk's
    ceiling (bench/throughput.py prints each writer's share of it).

    (Doing it for the next batch on a helper thread while this batch's transaction ran was
    tried: under the interpreter lock the two took turns, and the drain was slower by the
    wall clock and by CPU time on both databases.)"""
    with read_scope(engine or get_engine()) as reader:
        messages = rows.load(reader, Message, col(Message.id).in_(ids), order_by=col(Message.id))
    prepared = {name: work(messages) for name, work in PREPARE_FUNCTIONS.items()}
    prepared[MESSAGES] = {message.id: message for message in messages}
    return prepared


def _commit_attempt(engine, ids: list[int], prepared: Prepared) -> BatchResult:
    session = Session(engine, expire_on_commit=False)
    try:
        with session.begin():
            result = _attempt(session, ids, prepared)
    except (ItemFailed, BatchFailed):
        raise
    except Exception as exc:  # the commit itself
        raise BatchFailed("commit", exc) from exc
    finally:
        session.close()
    metrics.observe_pipeline(result.accepted)
    return result


def _mark_failed(engine, message_id: int, step: str, exc: BaseException) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        message = session.get(Message, message_id)
        assert message is not None  # the batch claimed it
        # Lock contention (a deadlock, a busy database) is worth another try; a bug is not.
        transient = isinstance(exc, OperationalError) and message.attempts < MAX_ATTEMPTS
        message.status = "pending" if transient else "failed"
        message.failed_step = step
        message.error = f"{type(exc).__name__}: {exc}"[:2000]
        if not transient:
            record(session, "failed", conversation_id=message.conversation_id, message_id=message_id,
                   data={"step": step, "error": message.error[:300]})
    log.error("message %s failed at step %s: %s", message_id, step, type(exc).__name__,
              extra=log_extra(message_id, message.conversation_id))


def process_batch(ids: list[int], engine=None, prepared: Prepared | None = None) -> BatchResult:
    """Run the pipeline on the claimed messages `ids` (with what `prepare` worked out for
    them, when the caller did that already); a failing message is set aside and the rest
    run again without it, on the same preparation (it reads only the messages, which do
    not change). A failure no message can be blamed for (a statement of the whole batch)
    is narrowed down by running the messages one by one."""
    engine = engine or get_engine()
    ids, failed = sorted(ids), 0
    if prepared is None:
        prepared = prepare(ids, engine)
    while ids:
        try:
            result = _commit_attempt(engine, ids, prepared)
            result.failed = failed
            return result
        except ItemFailed as exc:
            _mark_failed(engine, exc.item.message.id, exc.step, exc.error)
            ids.remove(exc.item.message.id)
            failed += 1
        except BatchFailed as exc:
            if len(ids) == 1:
                _mark_failed(engine, ids[0], exc.step, exc.error)
                return BatchResult(failed=failed + 1)
            log.warning("batch of %s failed as a whole at %s (%s: %s): running its messages one by one",
                        len(ids), exc.step, type(exc.error).__name__, str(exc.error)[:300])
            total = BatchResult(failed=failed)
            for message_id in ids:
                one = process_batch([message_id], engine, prepared)
                total.done, total.failed = total.done + one.done, total.failed + one.failed
                total.outbound += one.outbound
            return total
    return BatchResult(failed=failed)
