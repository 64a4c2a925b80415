"""The drain the doorbell rings for (`drain_rung`): one at a time per database in a
process, each batch gathered briefly. However the rings fall, every pending message is
run through the pipeline exactly once."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from channels.email import parse
from router.queue.drain import drain_rung
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def _take_in(count: int, first: int) -> None:
    for i in range(first, first + count):
        accept(parse(make_email(sender=f"customer{i}@example.com", text=f"Question {i} about fees.").as_bytes()))


def _statuses() -> dict[str, int]:
    with session_scope() as session:
        return dict(session.execute(select(Message.status, func.count()).where(Message.direction == "in")
                                    .group_by(Message.status)).all())


def test_mail_that_arrives_just_after_a_drain_emptied_the_queue_is_drained_by_the_next(db_url, broker):
    _take_in(3, 0)
    assert drain_rung() == 3
    _take_in(2, 3)  # within the gathering time of the claim that found the queue empty
    assert drain_rung() == 2
    assert _statuses() == {"done": 5}


def test_drains_rung_at_once_take_each_message_once(db_url, broker):
    _take_in(6, 0)
    done: list[int] = []
    threads = [threading.Thread(target=lambda: done.append(drain_rung())) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(done) == 6
    assert _statuses() == {"done": 6}
