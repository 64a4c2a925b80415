"""tick: the periodic chores that make lost doorbells and freed capacity harmless, and
the SLA alarms (warnings, breaches, escalations; `router.sla.tick`).

Each chore is idempotent and cheap when there is nothing to do (indexed existence
checks), so tick can run every few seconds in any number of workers.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import ColumnElement, exists, or_, select
from sqlmodel import col

from config.desk import get_desk
from config.settings import get_settings
from router.clock import utcnow
from router.desk.assign import fill_queues, free_capacity_exists
from router.queue.doorbell import get_doorbell
from router.sla import tick as sla_tick
from router.storage.db import get_engine, session_scope
from router.storage.models import Message

log = logging.getLogger(__name__)


def _any(*conditions: tuple) -> ColumnElement[bool]:
    """One EXISTS per way a row can be due, each an index walk on (direction, status):
    an OR inside one EXISTS makes SQLite walk every row of the direction."""
    return or_(*(exists().where(Message.direction == direction, Message.status == status, *rest)
                 for direction, status, *rest in conditions))


def _inbound_left_behind(session, now, settings) -> bool:
    stale = now - timedelta(seconds=settings.rering_after_seconds)
    expired = now - timedelta(seconds=settings.claim_lease_seconds)
    return bool(session.execute(select(_any(
        ("in", "pending", Message.created_at < stale),
        ("in", "processing", Message.claimed_at < expired)))).scalar())


def _outbound_due(session, now, settings) -> bool:
    expired = now - timedelta(seconds=settings.claim_lease_seconds)
    # Outbound rows waiting for a retry carry their next attempt time in claimed_at.
    return bool(session.execute(select(_any(
        ("out", "queued", col(Message.claimed_at).is_(None)),
        ("out", "queued", Message.claimed_at <= now),
        ("out", "sending", Message.claimed_at < expired)))).scalar())


def sla_alarms(engine, now, done: dict[str, int]) -> None:
    """Warnings, breaches and escalations due, a page per transaction (row locks held
    briefly, and a second tick works on other pages meanwhile)."""
    desk = get_desk()
    while True:
        with session_scope(engine or get_engine()) as session:
            handled = sla_tick.run_page(session, desk, now, done)
        if handled < sla_tick.PAGE:
            return


def run(engine=None) -> dict[str, int]:
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
    sla_alarms(engine, now, done)
    if any(done.values()):
        log.info("tick: %s", done)
    return done
