"""Prometheus metrics: what `/metrics` shows and where each figure comes from.

Counts that the database holds (messages accepted, processed, failed and parked per
channel; each pool's queue) are read from it at scrape time by `DatabaseCollector`, so
they are right whichever process did the work and survive restarts. Latencies exist only
as the work happens, in the worker: the pipeline and delivery histograms, and the SLA
counters, are prometheus-client metrics of the process that observes them. In embedded
mode that is the web app's own process. With separate processes, set the library's
PROMETHEUS_MULTIPROC_DIR to a directory that the web app and the workers share (empty at
first start): each process then writes its figures there and `/metrics` adds them up.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlmodel import col

from channels import REGISTRY as CHANNELS
from router.clock import utcnow
from router.storage.db import read_scope, write_turns
from router.storage.models import Conversation, Message, Pool

# Seconds from the commit of an inbound message to the commit of its pipeline batch; the
# SLA for chat counts minutes, for email hours, so the buckets span both.
PIPELINE_SECONDS = Histogram(
    "msgrouter_pipeline_seconds", "Inbound message accepted (committed) to processed, seconds",
    ["channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800))
# Seconds from an outbound row's creation (the reply or acknowledgement queued) to the
# relay's acceptance; retries with backoff land in the upper buckets.
DELIVERY_SECONDS = Histogram(
    "msgrouter_delivery_seconds", "Outbound message queued to delivered, seconds",
    ["channel"], buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 86400))
# Defined here, incremented by tick when it warns of or records a missed deadline
# (`deadline` is first_reply, next_reply or resolution).
SLA_WARNINGS = Counter("msgrouter_sla_warnings", "Deadline warnings raised", ["pool", "deadline"])
SLA_BREACHES = Counter("msgrouter_sla_breaches", "Deadlines missed", ["pool", "deadline"])


def _seconds(since: datetime, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds())


def observe_pipeline(accepted: Iterable[tuple[str, datetime]]) -> None:
    """(channel, created_at) of each message a pipeline batch has just committed."""
    now = utcnow()
    for channel, created_at in accepted:
        PIPELINE_SECONDS.labels(channel).observe(_seconds(created_at, now))


def observe_delivery(delivered: Iterable[tuple[str, datetime]]) -> None:
    """(channel, created_at) of each outbound message the relay has just accepted."""
    now = utcnow()
    for channel, created_at in delivered:
        DELIVERY_SECONDS.labels(channel).observe(_seconds(created_at, now))


class DatabaseCollector(Collector):
    """The database's counts, read at each scrape: two grouped queries."""

    def collect(self) -> Iterator[Metric]:
        with read_scope() as session:
            statuses = session.execute(
                select(col(Message.direction), col(Message.channel), col(Message.status), func.count())
                .group_by(col(Message.direction), col(Message.channel), col(Message.status))).all()
            pools = session.execute(
                select(col(Pool.name), func.count(col(Conversation.id)),
                       func.count(col(Conversation.id)).filter(col(Conversation.assignee_id).is_(None)))
                .select_from(Pool)
                .join(Conversation, (col(Conversation.pool_id) == col(Pool.id))
                      & (col(Conversation.state) != "resolved"), isouter=True)
                .group_by(col(Pool.name))).all()
        yield from _message_families(statuses)
        depth = GaugeMetricFamily("msgrouter_pool_queue_depth", "Open conversations in each pool",
                                  labels=["pool"])
        unassigned = GaugeMetricFamily("msgrouter_pool_unassigned", "Open conversations in each pool "
                                       "that nobody is assigned", labels=["pool"])
        for name, open_count, nobody in pools:
            depth.add_metric([name], open_count)
            unassigned.add_metric([name], nobody)
        yield depth
        yield unassigned


class WriteLockCollector(Collector):
    """SQLite's write lock in this process (`router.storage.db._WriterQueue`): per writer,
    the turns taken, the seconds waited for them and the seconds held. Embedded, the lock
    is what the desk's throughput runs into; these say who holds it and who waits. Nothing
    on PostgreSQL, and with separate processes only the web process's own writers."""

    def collect(self) -> Iterator[Metric]:
        turns = CounterMetricFamily("msgrouter_sqlite_write_turns", "SQLite write transactions taken, "
                                    "by writer", labels=["writer"])
        waited = CounterMetricFamily("msgrouter_sqlite_write_wait_seconds", "Seconds waited for SQLite's "
                                     "write lock, by writer", labels=["writer"])
        held = CounterMetricFamily("msgrouter_sqlite_write_held_seconds", "Seconds SQLite's write lock "
                                   "was held, by writer", labels=["writer"])
        for writer, (n, wait, hold) in sorted(write_turns().items()):
            turns.add_metric([writer], n)
            waited.add_metric([writer], wait)
            held.add_metric([writer], hold)
        yield from (turns, waited, held)


def _message_families(statuses: Iterable[Any]) -> Iterator[Metric]:
    counts: dict[tuple[str, str, str], int] = {(d, c, s): n for d, c, s, n in statuses}
    channels = sorted(set(CHANNELS) | {c for _, c, _ in counts})

    def total(direction: str, channel: str, *wanted: str) -> int:
        return sum(n for (d, c, s), n in counts.items()
                   if d == direction and c == channel and (not wanted or s in wanted))

    accepted = CounterMetricFamily("msgrouter_messages_accepted", "Inbound messages accepted (stored)",
                                   labels=["channel"])
    processed = CounterMetricFamily("msgrouter_messages_processed", "Inbound messages through the pipeline",
                                    labels=["channel"])
    failed = GaugeMetricFamily("msgrouter_messages_failed", "Messages failed now (inbound: waiting for "
                               "`msgrouter replay`; outbound: given up)", labels=["channel", "direction"])
    parked = GaugeMetricFamily("msgrouter_messages_parked", "Outbound messages parked after their retries, "
                               "waiting for a replay", labels=["channel"])
    every = GaugeMetricFamily("msgrouter_messages", "Messages by direction, channel and status",
                              labels=["direction", "channel", "status"])
    for channel in channels:
        accepted.add_metric([channel], total("in", channel))
        processed.add_metric([channel], total("in", channel, "done"))
        failed.add_metric([channel, "in"], total("in", channel, "failed"))
        failed.add_metric([channel, "out"], total("out", channel, "failed"))
        parked.add_metric([channel], total("out", channel, "parked"))
    for (direction, channel, state), n in sorted(counts.items()):
        every.add_metric([direction, channel, state], n)
    yield from (accepted, processed, failed, parked, every)


def exposition() -> tuple[bytes, str]:
    """The text `/metrics` answers: this process's (or every process's) metrics and the
    database's counts."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    # generate_latest only needs something that collects: no registry to register into twice.
    database = DatabaseCollector()
    return (generate_latest(processes) + generate_latest(WriteLockCollector()) + generate_latest(database),
            CONTENT_TYPE_LATEST)
