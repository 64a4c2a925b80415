"""Delivery alone: N queued acknowledgements through `router.delivery.outbox.deliver_pending` to a
counting SMTP sink on loopback, in acknowledgements per second; beside it, the two pieces
the batch design replaced, each timed with the code that still has them.

    .venv/bin/python bench/delivery.py [--n 2000] [--postgres] [--no-pipelining]

The sink offers SMTP PIPELINING (RFC 2920), as the relays a desk sends through do, so each
mail costs two round trips (MAIL, RCPT and DATA in one write; then the data);
`--no-pipelining` makes it a relay without it, where the client waits for every reply
(four round trips a mail).
The old outbox (two transactions and a new SMTP connection per mail) is not kept, so it is
not timed end to end; its connection per mail is `relay.send` called mail by mail, and its
composition is `compose` (an EmailMessage assembled field by field). Issue 15's target
for delivery alone is 1,000 acknowledgements/s.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
WARMUP = 60  # acknowledgements delivered before the timed ones: more than one claim's worth
PG_ADMIN = os.environ.get("MSGROUTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SUBJECT = "我们已收到您的消息 [#{}]"
TEXT = ("您好 Wei：\n\n感谢您联系Pinecone Wallet Support。您的问题已登记为工单 #{}，我们的客服人员将在 "
        "2026-12-07 03:18（UTC）之前回复您。\n\n重要提示：我们的工作人员绝不会向您索要助记词、私钥或密码。\n")


class CountingSink:
    """Takes every mail and counts it, nothing more: the relay stands in for the world. It
    runs in a process of its own so it does not share the sender's interpreter lock. It
    offers PIPELINING (RFC 2920) in its EHLO, as Postfix, Exim and the hosted relays do,
    unless told not to; aiosmtpd reads pipelined commands in order but does not say so."""

    def __init__(self, pipelining: bool = True) -> None:
        self.pipelining = pipelining
        self._count = multiprocessing.Value("q", 0)
        self._ready = multiprocessing.Event()
        self._stop = multiprocessing.Event()
        with socket.socket() as probe:  # a free loopback port, known before the child starts
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._process = multiprocessing.Process(target=self._serve, daemon=True)

    @property
    def received(self) -> int:
        return self._count.value

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:  # noqa: N802
        session.host_name = hostname  # this hook's duty in aiosmtpd
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        with self._count.get_lock():
            self._count.value += 1
        return "250 OK"

    def _serve(self) -> None:
        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        controller.start()
        self._ready.set()
        self._stop.wait()
        controller.stop()

    def __enter__(self) -> CountingSink:
        self._process.start()
        if not self._ready.wait(30):
            sys.exit("bench: the counting sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(10)


def _outbounds(n: int) -> list:
    from channels.base import Outbound
    from channels.email.compose import new_message_id

    return [Outbound(channel="email", recipient=f"customer{i}@example.com", subject=SUBJECT.format(i),
                     text=TEXT.format(i), message_id=new_message_id("msgrouter.local", i),
                     in_reply_to=f"<c{i}@example.com>", references=[f"<c{i}@example.com>"], automatic=True,
                     language="zh") for i in range(n)]


def _queue(n: int) -> None:
    """N acknowledgements queued as the pipeline queues them: rows, one insert."""
    from router.clock import utcnow
    from router.storage import rows
    from router.storage.db import session_scope
    from router.storage.models import Message

    now = utcnow()
    batch = [rows.new(Message, direction="out", channel="email", external_id=o.message_id, status="queued",
                      sender="support@pinecone.example", recipient=o.recipient, subject=o.subject, text=o.text,
                      language=o.language, automatic=True, in_reply_to=o.in_reply_to, references=o.references,
                      created_at=now) for o in _outbounds(n)]
    with session_scope() as session:
        rows.insert_all(session, Message, batch)


def outbox_rate(n: int, sink: CountingSink) -> tuple[float, float]:
    """Acknowledgements per second by the wall clock, and microseconds of this process's CPU
    (the sender's; the sink is another process) per acknowledgement."""
    from router.delivery.outbox import deliver_pending

    # Warm-up batches first: the first delivery loads the desk and the channel, and the
    # first full batch rings the doorbell, which imports Celery (together about half a
    # second): start-up, not delivery.
    _queue(WARMUP)
    while deliver_pending():
        pass
    _queue(n)
    before, start, cpu = sink.received, time.perf_counter(), time.process_time()
    while deliver_pending():
        pass
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    sent = sink.received - before
    if sent != n:
        sys.exit(f"bench: the sink received {sent} of {n} acknowledgements")
    return n / elapsed, cpu / n * 1e6


def relay_rates(n: int, port: int, sink: CountingSink) -> tuple[float, float]:
    """SMTP alone: a connection per mail (`send` one by one) against one session (`send_many`)."""
    from channels.email import relay

    config = {"host": "127.0.0.1", "port": port, "from_addr": "support@pinecone.example", "from_name": "Pinecone"}
    mails = _outbounds(n)
    start = time.perf_counter()
    each = [relay.send(o, **config) for o in mails]
    per_mail = n / (time.perf_counter() - start)
    start = time.perf_counter()
    batched = relay.send_many(mails, **config)
    per_batch = n / (time.perf_counter() - start)
    if not all(r.ok for r in each + batched):
        sys.exit("bench: the sink refused mail")
    return per_mail, per_batch


def compose_micros(n: int) -> tuple[float, float]:
    from channels.email.compose import compose, template

    mails = _outbounds(n)
    start = time.perf_counter()
    for o in mails:
        compose(o, from_addr="support@pinecone.example", from_name="Pinecone Wallet Support").as_bytes()
    reference = (time.perf_counter() - start) / n * 1e6
    prepared = template("support@pinecone.example", "Pinecone Wallet Support")
    start = time.perf_counter()
    for o in mails:
        prepared.render(o)
    return reference, (time.perf_counter() - start) / n * 1e6


def _database(postgres: bool, tmp: str) -> tuple[str, object]:
    """A fresh database URL and what drops it afterwards."""
    if not postgres:
        return f"sqlite:///{tmp}/delivery.db", lambda: None
    from sqlalchemy import create_engine, text

    name = f"msgrouter_bench_delivery_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        from router.storage.db import get_engine

        get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="acknowledgements to deliver (default 2000)")
    parser.add_argument("--postgres", action="store_true", help="the outbox on PostgreSQL instead of SQLite")
    parser.add_argument("--no-pipelining", action="store_true", help="a sink that does not offer PIPELINING")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, CountingSink(pipelining=not args.no_pipelining) as sink:
        port = sink.port
        url, drop = _database(args.postgres, tmp)
        os.environ.update(MSGROUTER_DATABASE_URL=url, MSGROUTER_RELAY_PORT=str(port),
                          MSGROUTER_BROKER_URL="memory://localhost/")
        try:
            from router.storage.migrate import upgrade

            upgrade(url)
            rate, cpu = outbox_rate(args.n, sink)
            per_mail, per_batch = relay_rates(min(args.n, 500), port, sink)
            reference, prepared = compose_micros(min(args.n, 500))
        finally:
            drop()
    database = "PostgreSQL" if args.postgres else "SQLite"
    relay = "without PIPELINING" if args.no_pipelining else "offering PIPELINING"
    print(f"delivery: {args.n} acknowledgements to a counting sink on loopback ({relay}), {database}, "
          f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}; the machine may be shared)")
    print(f"  SMTP alone, connection per mail (relay.send each):  {per_mail:8.0f} mails/s")
    print(f"  SMTP alone, one session (relay.send_many):          {per_batch:8.0f} mails/s")
    print(f"  composition, EmailMessage field by field (compose): {reference:8.0f} µs/mail")
    print(f"  composition, prepared header block (template):      {prepared:8.0f} µs/mail")
    print(f"outbox (deliver_pending, batches of the claim size): {rate:.0f} acknowledgements/s (target >= 1000), "
          f"{cpu:.0f} µs of the sender's CPU each, after a warm-up of {WARMUP}")


if __name__ == "__main__":
    main()
