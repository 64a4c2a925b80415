"""Drain: claim pending inbound messages batch by batch and run the pipeline on each.

While one batch's write transaction runs, the next batch is already claimed and its
database-free work (`pipeline.prepare`: triage) runs on a helper thread. It overlaps only
where the transaction waits (PostgreSQL's round trips, SQLite's own C code); elsewhere
the two share the interpreter lock and cost what they cost one after the other. A worker
that dies holds two batches' claims instead of one; both are claimed again after the lease.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from config.settings import get_settings
from router.claims import claim
from router.clock import utcnow
from router.db import get_engine, session_scope
from router.doorbell import get_doorbell
from router.pipeline import Prepared, prepare, process_batch

log = logging.getLogger(__name__)

MAX_BATCHES_PER_TASK = 20  # then hand over to a fresh task, so other tasks get a turn


def drain_inbound(engine=None, batch_size: int | None = None) -> int:
    settings = get_settings()
    engine = engine or get_engine()
    doorbell = get_doorbell()
    doorbell.answer("inbound")
    limit = batch_size or settings.drain_batch

    def claim_next() -> list[int]:
        with session_scope(engine) as session:
            return claim(session, "in", limit, utcnow(), settings.claim_lease_seconds)

    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="msgrouter-prepare") as helper:
        ids = claim_next()
        ahead: Future[Prepared] | None = helper.submit(prepare, ids, engine) if ids else None
        for turn in range(MAX_BATCHES_PER_TASK):
            if not ids:
                return done
            # The next batch is claimed before this one's transaction takes the write lock,
            # and prepared meanwhile; the last turn claims none (a fresh task goes on).
            following = claim_next() if turn + 1 < MAX_BATCHES_PER_TASK else []
            prepared = _outcome(ahead)
            ahead = helper.submit(prepare, following, engine) if following else None
            result = process_batch(ids, engine, prepared)
            done += len(ids)
            if result.outbound:
                doorbell.ring("outbound")
            if not following and turn + 1 < MAX_BATCHES_PER_TASK:
                # Nothing was waiting before: what arrived since, or what this batch set
                # back to pending (lock contention) for another attempt.
                following = claim_next()
                ahead = helper.submit(prepare, following, engine) if following else None
            ids = following
    doorbell.ring("inbound")  # more may be waiting: let a fresh task continue
    return done


def _outcome(ahead: Future[Prepared] | None) -> Prepared | None:
    """What the helper prepared; None (the batch prepares itself, and fails there as it
    would have) when it raised."""
    if ahead is None:
        return None
    try:
        return ahead.result()
    except Exception as exc:  # noqa: BLE001 - prepared again in process_batch, which reports it
        log.warning("preparing a batch ahead failed (%s: %s); preparing it again in turn", type(exc).__name__, exc)
        return None
