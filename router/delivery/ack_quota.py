"""The acknowledgement cap: at most `max_per_customer` automatic answers to one mailbox
within the window, however many workers answer at once.

Each mailbox has that many slots (`ack_quota`); an answer takes a slot not used within
the window. A batch makes sure its senders' slots exist, then reads them locked (FOR
UPDATE on PostgreSQL; SQLite's write transaction already excludes every other writer),
so a second batch waits for the first to commit and sees the slots it took. Three
statements a batch, whatever its size: insert the missing slots, lock and read them,
write back the used ones.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from router.storage.db import on_postgresql, upsert_dialect_insert
from router.storage.models import AckQuota
from router.storage.pairs import pairs_in
from router.storage.rows import Row, table_of

Key = tuple[str, str]  # (channel, normalised address)
SLOTS = table_of(AckQuota)


class Quota:
    """The slots of a batch's senders, locked until the batch commits."""

    def __init__(self, session: Session, keys: set[Key], cap: int, window: float, now: datetime) -> None:
        self.session, self.cap, self.now = session, cap, now
        self.since = now - timedelta(seconds=window)
        self.slots: dict[Key, list[datetime | None]] = {key: [None] * cap for key in keys}
        self.taken: list[tuple[Key, int, Row]] = []  # (mailbox, slot, the answer it went to)
        ordered = sorted(keys)  # one order for every batch, so two cannot deadlock
        if not ordered or cap <= 0:
            return
        insert = upsert_dialect_insert(session)(SLOTS).on_conflict_do_nothing(
            index_elements=["channel", "normalised_address", "slot"])
        session.execute(insert, [{"channel": channel, "normalised_address": address, "slot": slot,
                                  "used_at": None, "message_id": None}
                                 for channel, address in ordered for slot in range(cap)])
        query = select(SLOTS.c.channel, SLOTS.c.normalised_address, SLOTS.c.slot, SLOTS.c.used_at).where(
            pairs_in(SLOTS.c.channel, SLOTS.c.normalised_address, ordered), SLOTS.c.slot < cap
        ).order_by(SLOTS.c.channel, SLOTS.c.normalised_address, SLOTS.c.slot)
        if on_postgresql(session):
            query = query.with_for_update()
        for channel, address, slot, used_at in session.execute(query):
            self.slots[(channel, address)][slot] = used_at

    def used(self, key: Key) -> int:
        """Answers to this mailbox within the window."""
        return sum(1 for used_at in self.slots.get(key, []) if used_at is not None and used_at >= self.since)

    def take(self, key: Key, answer: Row) -> bool:
        """Take a free slot of the mailbox for `answer`; False when all are used."""
        for slot, used_at in enumerate(self.slots.get(key, [])):
            if used_at is None or used_at < self.since:
                self.slots[key][slot] = self.now
                self.taken.append((key, slot, answer))
                return True
        return False

    def write(self) -> None:
        """The used slots, with the answers they went to (inserted by now), in one statement."""
        if not self.taken:
            return
        statement = update(SLOTS).where(
            SLOTS.c.channel == bindparam("_channel"), SLOTS.c.normalised_address == bindparam("_address"),
            SLOTS.c.slot == bindparam("_slot")).values(used_at=bindparam("_used_at"),
                                                       message_id=bindparam("_message_id"))
        self.session.connection().execute(statement, [
            {"_channel": key[0], "_address": key[1], "_slot": slot, "_used_at": self.now,
             "_message_id": answer.id} for key, slot, answer in self.taken])
