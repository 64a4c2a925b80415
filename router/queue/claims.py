"""Claiming work rows: a batch of messages moves to an in-progress status atomically.

On PostgreSQL two workers never claim the same row (FOR UPDATE SKIP LOCKED); on SQLite
the write lock serialises claims. A claim whose worker died is claimed again after the
lease, which is what makes a killed worker lose nothing. An outbound claim carries a fresh
token, so the worker that made it can renew it, and write its results, only while the rows
are still its own (`router.delivery_lease`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, literal_column, or_, select, update
from sqlmodel import Session, col

from router.storage.db import on_postgresql
from router.storage.models import Message

# direction -> (status waiting for work, status while being worked on)
STATUSES = {"in": ("pending", "processing"), "out": ("queued", "sending")}

# The predicate of the partial index ix_message_live, repeated in the query (SQLite uses a
# partial index only when the query has its terms) and written out literally, so that even
# the generic plan of a statement psycopg has prepared on PostgreSQL can use the index.
LIVE = col(Message.status).in_([literal_column(f"'{s}'") for s in ("pending", "processing", "queued", "sending")])


def claimable(direction: str, now: datetime, lease_seconds: int):
    waiting, working = STATUSES[direction]
    expired = now - timedelta(seconds=lease_seconds)
    ready = col(Message.status) == waiting
    if direction == "out":
        # Outbound rows waiting for a retry carry their next attempt time in claimed_at.
        ready = and_(ready, or_(col(Message.claimed_at).is_(None), col(Message.claimed_at) <= now))
    return and_(col(Message.direction) == direction, LIVE,
                or_(ready, and_(col(Message.status) == working, col(Message.claimed_at) < expired)))


def claim(session: Session, direction: str, limit: int, now: datetime, lease_seconds: int,
          token: str | None = None) -> list[int]:
    """Mark up to `limit` rows as being worked on (by `token`, when given) and return their
    ids, oldest first."""
    _, working = STATUSES[direction]
    values = {"status": working, "claimed_at": now, "attempts": Message.attempts + 1}
    if token is not None:
        values["claim_token"] = token
    pick = select(col(Message.id)).where(claimable(direction, now, lease_seconds)) \
        .order_by(col(Message.id)).limit(limit)
    if on_postgresql(session):
        pick = pick.with_for_update(skip_locked=True)
    stmt = update(Message).where(col(Message.id).in_(pick.scalar_subquery())) \
        .values(values) \
        .returning(col(Message.id))
    ids = list(session.execute(stmt, execution_options={"synchronize_session": False}).scalars())
    ids.sort()
    return ids
