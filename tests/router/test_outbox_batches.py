"""Delivery in batches against real SMTP relays: a claimed batch goes out over one connection,
a refused recipient fails only its own mail, a connection that drops mid-batch is reopened
once and what is left waits for the backoff, a relay that is down costs one connection
attempt per batch, and the database work per batch does not grow with the batch (beside the
one receipt committed for each mail the relay accepted); the same whether the relay offers
SMTP PIPELINING or not."""
from __future__ import annotations

import socket
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import event, select

from channels import email as email_channel
from conftest import reset_caches
from relays import message_ids
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import get_engine, session_scope
from router.storage.models import DeliveryReceipt, Event, Identity, Message
from support import free_port, make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
FIRST_WAIT = timedelta(seconds=30)  # the README's first backoff


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch):
    """The exact schedule: the jitter's own bounds are pinned in test_outbox_outage.py."""
    monkeypatch.setenv("MSGROUTER_DELIVERY_BACKOFF_JITTER", "0")


class CountingRelay:
    """A relay on loopback that notes the connection each mail came over. It refuses RCPT
    for unknown@ (550) and busy@ (451); with `drop_after` it closes every connection after
    that many mails, as relays with a per-connection limit do. With `pipelining` its EHLO
    offers PIPELINING (aiosmtpd reads pipelined commands in order but does not offer it)."""

    def __init__(self, drop_after: int | None = None, port: int | None = None, pipelining: bool = False) -> None:
        self.drop_after = drop_after
        self.pipelining = pipelining
        self.port = port or free_port()
        self.mails: list[tuple[tuple, bytes]] = []  # (client address of the connection, raw mail)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname  # this hook's duty in aiosmtpd
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.drop_after is not None and sum(p == session.peer for p, _ in self.mails) >= self.drop_after:
            server.transport.close()
            return "421 4.7.0 too many messages on one connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("unknown@"):
            return "550 5.1.1 no such user here"
        if address.startswith("busy@"):
            return "451 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.mails.append((session.peer, envelope.original_content))
        return "250 OK"

    def connections(self) -> int:
        """Connections that carried mail (the controller's own start-up check carries none)."""
        return len({peer for peer, _ in self.mails})

    def received(self) -> Counter:
        return message_ids([raw for _, raw in self.mails])

    def __enter__(self) -> CountingRelay:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


class SilentHangUp:
    """A relay that is down in the way a crashed one is: it takes each connection and closes
    it at once, without a greeting. It counts the connections it was offered."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __enter__(self) -> SilentHangUp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept; close alone does not
        self.listener.close()
        self._thread.join(5)


def _point_relay(monkeypatch, port: int) -> None:
    monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(port))
    reset_caches()


def _acks_for(*senders: str) -> list[Message]:
    """Each customer's mail through intake and one drain; their acknowledgements, queued."""
    for i, sender in enumerate(senders):
        mail = make_email(sender=sender, text=f"Hello, question {i}: what are the fees?")
        accept(email_channel.parse(mail.as_bytes()))
    drain_inbound()
    with session_scope() as session:
        acks = list(session.execute(select(Message).where(Message.direction == "out", Message.status == "queued")
                                    .order_by(Message.id)).scalars())
    assert [a.recipient for a in acks] == list(senders)
    return acks


def _rows() -> dict[str, Message]:
    with session_scope() as session:
        return {m.recipient: m for m in session.execute(select(Message).where(Message.direction == "out")).scalars()}


def _event_kinds() -> Counter:
    with session_scope() as session:
        return Counter(session.execute(select(Event.kind).where(Event.kind.like("deliver%"))).scalars())


@pytest.mark.parametrize("pipelining", [False, True], ids=["lock-step", "pipelined"])
def test_a_batch_goes_out_over_one_connection(db_url, broker, monkeypatch, pipelining):
    with CountingRelay(pipelining=pipelining) as relay:
        _point_relay(monkeypatch, relay.port)
        acks = _acks_for(*(f"user{i}@example.com" for i in range(6)))
        assert deliver_pending() == 6
        assert deliver_pending() == 0
    assert relay.received() == {ack.external_id: 1 for ack in acks}
    assert relay.connections() == 1
    assert {row.status for row in _rows().values()} == {"sent"}
    assert _event_kinds() == {"delivered": 6}


@pytest.mark.parametrize("pipelining", [False, True], ids=["lock-step", "pipelined"])
def test_a_refused_recipient_fails_only_its_own_mail(db_url, broker, monkeypatch, pipelining):
    with CountingRelay(pipelining=pipelining) as relay, time_machine.travel(START, tick=False):
        _point_relay(monkeypatch, relay.port)
        acks = _acks_for("ann@example.com", "unknown@example.com", "bob@example.com", "busy@example.com",
                         "cy@example.com")
        assert deliver_pending() == 3
    rows = _rows()
    assert {r: rows[r].status for r in rows} == {"ann@example.com": "sent", "unknown@example.com": "failed",
                                                 "bob@example.com": "sent", "busy@example.com": "queued",
                                                 "cy@example.com": "sent"}
    assert "550" in rows["unknown@example.com"].error and "451" in rows["busy@example.com"].error
    assert rows["busy@example.com"].claimed_at == START + FIRST_WAIT
    sent = {a.external_id: 1 for a in acks if rows[a.recipient].status == "sent"}
    assert relay.received() == sent and relay.connections() == 1
    assert _event_kinds() == {"delivered": 3, "delivery_failed": 1}
    with session_scope() as session:
        undeliverable = set(session.execute(select(Identity.address).where(Identity.undeliverable)).scalars())
    assert undeliverable == {"unknown@example.com"}


@pytest.mark.parametrize("pipelining", [False, True], ids=["lock-step", "pipelined"])
def test_a_connection_dropped_mid_batch_is_reopened_once_and_the_rest_waits_for_the_backoff(
        db_url, broker, monkeypatch, pipelining):
    with CountingRelay(drop_after=2, pipelining=pipelining) as relay, time_machine.travel(START, tick=False) as clock:
        _point_relay(monkeypatch, relay.port)
        acks = _acks_for(*(f"user{i}@example.com" for i in range(5)))
        assert deliver_pending() == 4  # two on the first connection, two on the one reopened
        assert relay.connections() == 2
        last = _rows()["user4@example.com"]
        assert (last.status, last.attempts, last.claimed_at) == ("queued", 1, START + FIRST_WAIT)
        clock.shift(FIRST_WAIT - timedelta(seconds=1))
        assert deliver_pending() == 0
        clock.shift(timedelta(seconds=1))
        assert deliver_pending() == 1
        clock.shift(timedelta(hours=1))
        assert deliver_pending() == 0
    assert relay.received() == {ack.external_id: 1 for ack in acks}
    assert {row.status for row in _rows().values()} == {"sent"}
    assert _event_kinds() == {"delivered": 5}


def test_a_relay_that_is_down_is_tried_once_per_batch_and_every_mail_waits(db_url, broker, monkeypatch):
    with time_machine.travel(START, tick=False) as clock:
        with SilentHangUp() as down:
            _point_relay(monkeypatch, down.port)
            acks = _acks_for(*(f"user{i}@example.com" for i in range(4)))
            assert deliver_pending() == 0
            assert down.connections == 1
        rows = _rows()
        assert {(r.status, r.attempts, r.claimed_at) for r in rows.values()} == {("queued", 1, START + FIRST_WAIT)}
        assert all("unreachable" in r.error for r in rows.values())
        assert _event_kinds() == {}
        with CountingRelay(port=down.port) as relay:  # back, where msgrouter points
            clock.shift(FIRST_WAIT)
            assert deliver_pending() == 4
    assert relay.received() == {ack.external_id: 1 for ack in acks}
    assert _event_kinds() == {"delivered": 4}


def _statements_to_deliver(count: int, first: int) -> int:
    """How many SQL statements one deliver_pending issues for `count` fresh acknowledgements,
    beside the receipts (one committed on a connection of its own for each mail: their
    bound is pinned by tests/workers/test_delivery_faults.py)."""
    _acks_for(*(f"user{first + i}@example.com" for i in range(count)))
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if conn.info.get("msgrouter_role") != "receipts":
            statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert deliver_pending() == count
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(statements)


def test_the_database_work_of_a_batch_does_not_grow_with_its_size(db_url, broker, monkeypatch):
    with CountingRelay() as relay:
        _point_relay(monkeypatch, relay.port)
        small, large = _statements_to_deliver(2, 0), _statements_to_deliver(12, 100)
    assert small == large, f"{small} statements for 2 mails, {large} for 12"
    assert len(relay.mails) == 14
    with session_scope() as session:
        receipts = session.execute(select(DeliveryReceipt.external_id)).scalars().all()
    assert sorted(receipts) == sorted(message_ids([raw for _, raw in relay.mails])), "a receipt for each mail"
