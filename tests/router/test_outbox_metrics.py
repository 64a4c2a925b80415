"""The delivery latency that /metrics shows (docs/operations.md: `msgrouter_delivery_seconds`,
per channel, "outbound row created to the relay's acceptance (retries included)"): a mail
the relay refused is not observed, a mail it accepted is observed once, with the time from
its row's creation to its acceptance."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from prometheus_client import REGISTRY

from channels import email as email_channel
from conftest import reset_caches
from relays import Relay
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from support import make_email

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def _observed() -> tuple[float, float]:
    """(count, sum) of the email channel's delivery latency, as /metrics exposes them."""
    labels = {"channel": "email"}
    return (REGISTRY.get_sample_value("msgrouter_delivery_seconds_count", labels) or 0.0,
            REGISTRY.get_sample_value("msgrouter_delivery_seconds_sum", labels) or 0.0)


def _mail_in(sender: str) -> None:
    accept(email_channel.parse(make_email(sender=sender, text="Hello, what are the fees?").as_bytes()))
    drain_inbound()


def test_only_accepted_mail_is_observed_with_its_time_since_queued(db_url, broker, monkeypatch):
    with Relay("550 5.1.1 no such user here") as relay, time_machine.travel(START, tick=False) as clock:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        _mail_in("gone@example.com")
        before = _observed()
        assert deliver_pending() == 0
        assert _observed() == before, "a refused mail is no delivery"

        relay.reply = "250 OK"
        _mail_in("ann@example.com")  # its acknowledgement is queued at START
        clock.shift(90)
        assert deliver_pending() == 1
        count, total = _observed()
    assert count - before[0] == 1
    assert total - before[1] == pytest.approx(90.0)  # the histogram's sum is a float
