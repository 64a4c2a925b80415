"""Parsing runs off the SMTP server's event loop, in worker processes with a time budget,
and HTML layout has a size budget per mail: one hostile mail costs its own sender time,
nobody else's."""
from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from email.message import EmailMessage

from sqlalchemy import select

from channels.email.mime import parse
from channels.email.parse_pool import ParsePool
from router.storage.db import session_scope
from router.storage.models import Message
from smtp_server import smtp_server
from support import make_email

BUDGET = 8.0  # seconds; the hostile mail below takes far longer than this to lay out


def _nested_divs_mail(parts: int, depth: int) -> EmailMessage:
    """The mail that stalled every client for minutes: HTML parts of deeply nested <div>s."""
    msg = make_email(sender="flood@example.net", subject="nested", text="plain words first")
    for _ in range(parts):
        msg.add_attachment("<div>a " * depth + "</div>" * depth, subtype="html", disposition="inline")
    return msg


def test_a_mail_over_the_time_budget_stalls_nobody_and_is_stored_with_a_note(db_url, broker, monkeypatch):
    hostile = _nested_divs_mail(parts=20, depth=60_000)
    outcome: dict[str, object] = {}

    def send_hostile() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=300) as client:
            outcome["refused"] = client.send_message(hostile)

    waits: list[float] = []
    settings = {"email_parse_timeout_seconds": BUDGET, "email_html_budget_chars": 10**9,
                "smtp_messages_per_sender": 1000, "smtp_messages_per_ip": 1000}
    with smtp_server(monkeypatch, **settings) as port:
        sender = threading.Thread(target=send_hostile)
        started = time.monotonic()
        sender.start()
        # Another client writes every half second for as long as the hostile mail is being
        # taken in, so some of its mails arrive while that one is being parsed.
        while sender.is_alive() and time.monotonic() - started < 240:
            before = time.monotonic()
            with smtplib.SMTP("127.0.0.1", port, timeout=300) as client:
                assert client.send_message(make_email(text="An ordinary question about fees.")) == {}
            waits.append(time.monotonic() - before)
            time.sleep(0.5)
        sender.join()
        took = time.monotonic() - started
    assert took > BUDGET, f"the hostile mail was taken in within {took:.1f} s: it proves nothing"
    assert max(waits) < 5.0, f"an ordinary mail waited {max(waits):.1f} s behind the hostile one"
    assert outcome["refused"] == {}, "the hostile mail is accepted, not refused"
    with session_scope() as session:
        row = session.execute(select(Message).where(Message.external_id == hostile["Message-ID"])).scalars().one()
        ordinary = session.execute(select(Message).where(Message.sender == "customer@example.com")).scalars().all()
    assert len(ordinary) == len(waits)
    assert any(f"longer than the {BUDGET:g}-second budget" in note for note in row.parse_notes), row.parse_notes
    assert "plain words first" in row.text and "a a a" in row.text  # its plain part and its HTML's words


def test_html_past_the_size_budget_is_reduced_to_its_words():
    msg = make_email(text="")
    msg.clear_content()
    msg.set_content("<p>first <b>part</b></p>", subtype="html")
    msg.add_attachment("<p>second &amp; <i>last</i> part</p>", subtype="html", disposition="inline")
    inbound = parse(msg.as_bytes(), html_budget=30)  # room for the first part's layout only
    assert "first part" in inbound.text and "second & last part" in " ".join(inbound.text.split())
    assert any("layout budget" in note for note in inbound.parse_notes), inbound.parse_notes
    assert not any("budget" in note for note in parse(msg.as_bytes(), html_budget=10**6).parse_notes)


def test_only_small_single_plain_mails_are_read_outside_a_worker():
    # Read in the storing thread, with no budget: only what is linear and small to read.
    assert ParsePool.plain_and_small(make_email(text="An ordinary question about fees.").as_bytes())
    assert ParsePool.plain_and_small(b"From: a@example.com\r\nSubject: hi\r\n\r\nno content type: plain\r\n")
    html = make_email(text="")
    html.clear_content()
    html.set_content("<p>hi</p>", subtype="html")
    with_file = make_email(text="see the file")
    with_file.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    for msg in (html, with_file, _nested_divs_mail(parts=1, depth=10),
                make_email(text="word " * 4000),  # over 16 KiB
                make_email(text="Content-Type: text/html is what my app sent")):
        assert not ParsePool.plain_and_small(msg.as_bytes()), msg.get_content_type()


def test_a_small_plain_mail_reads_the_same_in_the_storing_thread_as_in_a_worker():
    msg = make_email(name="Jörg Müller", subject="Passwort vergessen", charset="iso-8859-1",
                     text="Grüße, mein Passwort ist Sommer2024! bitte helfen",
                     headers={"Date": "Mon, 07 Dec 2026 10:00:00 +0100"})
    raw = msg.as_bytes()
    assert ParsePool.plain_and_small(raw)
    pool = ParsePool(1, 30.0, max_attachment_bytes=1024, html_budget=1000)
    try:
        here = pool.parse_here(raw, "jorg@example.com", "support@pinecone.example")
        there = asyncio.run(pool.parse(raw, "jorg@example.com", "support@pinecone.example"))
    finally:
        pool.close()
    assert here == there
    assert "Sommer2024" in here.text  # parsing keeps it; intake redacts it, on either path
