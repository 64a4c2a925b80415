"""Drain: claim pending inbound messages batch by batch and run the pipeline on each."""
from __future__ import annotations

import logging

from config.settings import get_settings
from router.claims import claim
from router.clock import utcnow
from router.db import get_engine, session_scope
from router.doorbell import get_doorbell
from router.pipeline import process_batch

log = logging.getLogger(__name__)

MAX_BATCHES_PER_TASK = 20  # then hand over to a fresh task, so other tasks get a turn


def drain_inbound(engine=None, batch_size: int | None = None) -> int:
    settings = get_settings()
    engine = engine or get_engine()
    doorbell = get_doorbell()
    doorbell.answer("inbound")
    done = 0
    for _ in range(MAX_BATCHES_PER_TASK):
        with session_scope(engine) as session:
            ids = claim(session, "in", batch_size or settings.drain_batch, utcnow(),
                        settings.claim_lease_seconds)
        if not ids:
            return done
        result = process_batch(ids, engine)
        done += len(ids)
        if result.outbound:
            doorbell.ring("outbound")
    doorbell.ring("inbound")  # more may be waiting: let a fresh task continue
    return done
