"""/metrics over HTTP after real mail went through SMTP, a Celery worker and the relay:
the database's counts per channel and pool, and the pipeline and delivery latencies."""
from __future__ import annotations

import smtplib

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email, wait_for


def _scrape(base: str) -> dict[tuple[str, tuple], float]:
    response = httpx.get(f"{base}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def _count(direction: str, status: str) -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(
            Message.direction == direction, Message.status == status)).scalar_one()


def test_metrics_after_mail_went_through(api, smtp_port, worker, sink):
    base, _ = api
    before = _scrape(base)
    with smtplib.SMTP("127.0.0.1", smtp_port) as client:
        client.send_message(make_email(sender="a@example.com", text="My withdrawal has not arrived."))
        client.send_message(make_email(sender="b@example.com", text="Someone stole all my ETH!",
                                       subject="hacked"))
        client.send_message(make_email(sender="c@example.com", text="What are the fees for BTC?",
                                       subject="fees"))
    wait_for(lambda: _count("in", "done") == 3, what="three messages processed")
    wait_for(lambda: _count("out", "sent") == 3, what="three acknowledgements sent")
    with session_scope() as session:  # a failed message, as the pipeline leaves one
        session.execute(update(Message).where(Message.id == 1).values(status="failed"))
    after = _scrape(base)

    email = (("channel", "email"),)
    assert after[("msgrouter_messages_accepted_total", email)] == 3
    assert after[("msgrouter_messages_processed_total", email)] == 2
    assert after[("msgrouter_messages_failed", (("channel", "email"), ("direction", "in")))] == 1
    assert after[("msgrouter_messages_failed", (("channel", "email"), ("direction", "out")))] == 0
    assert after[("msgrouter_messages_parked", email)] == 0
    assert after[("msgrouter_messages", (("channel", "email"), ("direction", "out"), ("status", "sent")))] == 3
    depth = {dict(labels)["pool"]: value for (name, labels), value in after.items()
             if name == "msgrouter_pool_queue_depth"}
    assert sum(depth.values()) == 3 and depth["security"] >= 1 and set(depth) >= {"general", "security"}

    def grew(name: str) -> float:
        return after.get((name, email), 0) - before.get((name, email), 0)

    # Every message observed once by the worker's pipeline and every acknowledgement by delivery.
    assert grew("msgrouter_pipeline_seconds_count") == 3
    assert grew("msgrouter_delivery_seconds_count") == 3
    assert 0 < grew("msgrouter_pipeline_seconds_sum") < 60
    infinite = (("channel", "email"), ("le", "+Inf"))
    assert after[("msgrouter_pipeline_seconds_bucket", infinite)] - before.get(
        ("msgrouter_pipeline_seconds_bucket", infinite), 0) == 3
    # Defined now for the SLA work: present in the exposition even before any increment.
    text = httpx.get(f"{base}/metrics").text
    assert "# TYPE msgrouter_sla_warnings_total counter" in text
    assert "# TYPE msgrouter_sla_breaches_total counter" in text
