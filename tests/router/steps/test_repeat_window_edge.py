"""The same-sender window's edges under a stopped clock: mail exactly a window after the
case was opened still joins it; a microsecond later it opens a case of its own."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.desk import get_desk
from pipeline_support import ingest
from support import make_email

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("past", "joins"), [(timedelta(0), True), (timedelta(microseconds=1), False)],
                         ids=["at the edge", "just past"])
def test_the_window_includes_its_last_instant(db_url, broker, time_machine, past, joins):
    time_machine.move_to(T0, tick=False)
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    time_machine.move_to(T0 + timedelta(seconds=get_desk().threading.same_sender_window) + past, tick=False)
    second = ingest(make_email(sender="ann@example.com", subject="Also: login", text="I cannot log in either."))
    assert (second.conversation_id == first.conversation_id) is joins
