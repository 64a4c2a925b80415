"""tick: the periodic chores that make lost doorbells and freed capacity harmless.

Each chore is idempotent and cheap when there is nothing to do (indexed existence
checks), so tick can run every few seconds in any number of workers.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select

from config.settings import get_settings
from router.assign import fill_queues, free_capacity_exists
from router.claims import claimable
from router.clock import utcnow
from router.db import get_engine, session_scope
from router.doorbell import get_doorbell
from router.models import Message

log = logging.getLogger(__name__)


def _inbound_left_behind(session, now, settings) -> bool:  # noqa: ANN001
    stale = now - timedelta(seconds=settings.rering_after_seconds)
    waiting = and_(Message.direction == "in", Message.status == "pending", Message.created_at < stale)
    orphaned = claimable("in", now, settings.claim_lease_seconds)
    return bool(session.execute(select(or_(exists().where(waiting),
                                           exists().where(and_(orphaned, Message.status == "processing"))))).scalar())


def _outbound_due(session, now, settings) -> bool:  # noqa: ANN001
    return bool(session.execute(select(exists().where(
        claimable("out", now, settings.claim_lease_seconds)))).scalar())


def run(engine=None) -> dict[str, int]:  # noqa: ANN001
    settings, now, done = get_settings(), utcnow(), {}
    doorbell = get_doorbell()
    with session_scope(engine or get_engine()) as session:
        if _inbound_left_behind(session, now, settings):
            doorbell.ring("inbound")
            done["rerung_inbound"] = 1
        if _outbound_due(session, now, settings):
            doorbell.ring("outbound")
            done["rerung_outbound"] = 1
        if free_capacity_exists(session):
            done["assigned_from_queue"] = fill_queues(session, now)
    if any(done.values()):
        log.info("tick: %s", done)
    return done
