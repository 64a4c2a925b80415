"""router/reports/figures.py on a desk built through intake, the pipeline and the API (both
databases): times p50/p90 as numpy's linear percentile over the conversations that reached
the event, first replies met/breached/not yet due, volume by channel, category, hour and
day, all exact; the scope of a set of pools; and the same totals as the SLA report."""
from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import select, text
from sqlmodel import col

from config.desk import get_desk
from report_desk import NOW, build
from router.reports.figures import Figures, Times, figures
from router.reports.sla import report
from router.storage.db import read_scope
from router.storage.models import Pool

START, END = datetime(2031, 3, 4, tzinfo=UTC), datetime(2031, 3, 7, tzinfo=UTC)


def _figures(pools: list[str] | None) -> Figures:
    with read_scope() as session:
        ids = None if pools is None else list(session.execute(
            select(col(Pool.id)).where(col(Pool.name).in_(pools))).scalars())
        return figures(session, START, END, NOW, ids)


def _linear(values: list[float]) -> tuple[float, float]:
    """What the figures are documented to be: numpy's default percentile."""
    p50, p90 = np.percentile(values, [50, 90])
    return round(float(p50), 1), round(float(p90), 1)


def test_every_figure_of_the_whole_desk_is_exact(api, broker, time_machine):
    build(api, time_machine)
    found = _figures(None)
    assert found.conversations == 5  # the one opened the day before is outside the range
    # First replies: 1 h (crash), 30 min (withdrawal), 30 h (fees). p90 sits 0.8 of the way
    # from the 2nd to the 3rd of the three: 3600 + 0.8 * (108000 - 3600).
    assert found.first_reply == Times(3, 3600.0, 87120.0)
    assert (found.first_reply.p50, found.first_reply.p90) == _linear([3600, 1800, 108000])
    # Resolved: withdrawal after 3 h, crash after 6 h.
    assert found.resolution == Times(2, 16200.0, 20520.0)
    # Met: crash and withdrawal; breached: fees answered late, the Telegram message unanswered
    # past its 5 minutes; not yet due: the mail that came in an hour ago.
    assert (found.met, found.breached, found.open) == (2, 2, 1)
    assert (found.share_met, found.share_breached) == (0.5, 0.5)
    assert found.by_channel == [("email", 4), ("telegram", 1)]
    assert found.by_category == [("policy", 2), ("transaction", 2), ("technical", 1)]
    assert found.by_hour == [0] * 8 + [1, 2, 0, 2] + [0] * 12
    assert found.by_day == [(date(2031, 3, 4), 3), (date(2031, 3, 5), 1), (date(2031, 3, 6), 1)]


def test_hours_and_days_are_utc_whatever_the_database_sessions_zone(api, broker, time_machine, db_url):
    build(api, time_machine)
    with read_scope() as session:
        if "postgresql" in db_url:  # timestamptz prints in the session's zone; SQLite keeps UTC text
            session.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
        found = figures(session, START, END, NOW, None)
    assert found.by_hour == [0] * 8 + [1, 2, 0, 2] + [0] * 12
    assert [n for _, n in found.by_day] == [3, 1, 1]


def test_a_set_of_pools_counts_only_their_conversations(api, broker, time_machine):
    build(api, time_machine)
    alice = _figures(["security", "transactions", "supervisors"])  # alice's pools
    assert alice.conversations == 2
    assert alice.first_reply == Times(1, 1800.0, 1800.0)
    assert alice.resolution == Times(1, 10800.0, 10800.0)
    assert (alice.met, alice.breached, alice.open) == (1, 1, 0)
    assert alice.by_channel == [("email", 1), ("telegram", 1)]
    assert alice.by_category == [("transaction", 2)]
    assert sum(alice.by_hour) == alice.by_hour[11] == 2
    assert [n for _, n in alice.by_day] == [1, 1, 0]
    nobody = _figures([])
    assert (nobody.conversations, nobody.first_reply, nobody.by_channel) == (0, Times(0, None, None), [])
    assert [n for _, n in nobody.by_day] == [0, 0, 0]


def test_the_totals_are_the_sla_reports(api, broker, time_machine):
    """Met, breached, open and the first-reply percentiles follow router/reports/sla.py."""
    build(api, time_machine)
    found = _figures(None)
    with read_scope() as session:
        sla = report(session, get_desk(), START, END, NOW)["total"]
    assert (found.conversations, found.met, found.breached, found.open) == (
        sla["conversations"], sla["first_reply_met"], sla["first_reply_breached"], sla["first_reply_open"])
    assert (found.share_met, found.share_breached) == (sla["share_met"], sla["share_breached"])
    assert {"p50": found.first_reply.p50, "p90": found.first_reply.p90} == sla["first_reply_seconds"]["calendar"]


def test_a_recorded_breach_counts_even_before_the_deadline_as_now_sees_it(api, broker, time_machine):
    """A breach alarm is a breach whatever the deadline column says (the SLA report's rule):
    read as of the Telegram message's arrival, only its recorded alarm makes it breached."""
    from router.queue import tick

    ids = build(api, time_machine)
    tick.run()  # records the Telegram message's first-reply breach (and escalates it)
    arrival = datetime(2031, 3, 5, 11, 0, tzinfo=UTC)
    with read_scope() as session:
        found = figures(session, START, END, arrival, None)
        sla = report(session, get_desk(), START, END, arrival)["total"]
    assert (found.met, found.breached, found.open) == (2, 2, 1)
    assert (sla["first_reply_met"], sla["first_reply_breached"], sla["first_reply_open"]) == (2, 2, 1)
    assert ids["telegram"]  # the one the alarm is on
