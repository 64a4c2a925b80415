"""Live updates in a real browser (issue 20): Playwright drives Debian's chromium against the
running app, with a real worker, our SMTP server and a sink for the customer's mailbox.
(a) alice waits on My work; a mail arrives over SMTP and its row appears without a reload;
she opens it and replies, and the reply reaches the sink. (b) erin waits on the Supervisors
page; tick's SLA code runs with the clock three days on, and the breach appears without a
reload. A screenshot of each page goes to the test's output folder."""
from __future__ import annotations

import re
import smtplib
import uuid
from datetime import timedelta

from dashboard import PASSWORD, give_password, needs_chromium
from desk_roles import STOLEN
from router.clock import utcnow
from router.queue import tick
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Message
from support import make_email, wait_for

pytestmark = needs_chromium




def _sign_in(page, base: str, name: str, to: str) -> None:
    give_password(name)
    page.goto(f"{base}/?next={to}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form#login button[type=submit]")
    page.wait_for_url(base + to)


def test_a_new_conversation_arrives_live_and_the_reply_reaches_the_relay(desk, browser, sink, smtp_port, shots):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1200, "height": 800})
    _sign_in(page, desk, "alice", "/work")
    reloads = []
    page.on("load", lambda _: reloads.append(page.url))
    page.screenshot(path=shots / "1-my-work-waiting.png")

    subject = f"Withdrawal missing {uuid.uuid4().hex[:6]}"
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(make_email(sender="wei@example.com", subject=subject,
                                     text="My withdrawal of 500 USDT has not arrived since yesterday."))
    row = page.locator("#work-rows tr", has_text=subject)
    expect(row).to_be_visible(timeout=30_000)  # no page.reload(): the live stream brought it
    assert reloads == [], f"the page was loaded again: {reloads}"
    expect(page.locator("#live-notices .notice").first).to_be_visible()
    page.screenshot(path=shots / "2-my-work-arrived-live.png")

    # tick's SLA chore at the conversation's warning time: the row turns, still no reload.
    cid = int(row.get_attribute("data-conversation"))
    with session_scope() as session:
        warn_at = session.get(Conversation, cid).sla_check_at
    tick.sla_alarms(None, warn_at + timedelta(seconds=1), {})
    expect(row).to_have_class(re.compile(r"\bwarned\b"), timeout=30_000)
    assert reloads == []
    page.screenshot(path=shots / "3-my-work-warned-live.png")

    row.locator("a").first.click()
    page.wait_for_selector("#reply-form")
    answer = "We are checking this withdrawal with the chain now and will write within the hour."
    page.fill("#reply-form textarea", answer)
    page.click("#reply")
    page.wait_for_selector("#done")
    page.screenshot(path=shots / "4-conversation-replied.png", full_page=True)
    wait_for(lambda: any(answer in _text(m) for m in sink.parsed()), what="the reply to reach the sink")

    # The customer answers while the page is open: a notice offers to show it.
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(make_email(sender="wei@example.com", subject=f"Re: {subject} [#{cid}]",
                                     text="Thank you, the transaction hash is 0xabc123."))
    page.wait_for_selector("#show-new-message", timeout=30_000)
    page.screenshot(path=shots / "5-conversation-customer-wrote.png")
    page.click("#show-new-message")
    expect(page.locator(".thread")).to_contain_text("the transaction hash is 0xabc123")


def test_a_supervisor_sees_a_breach_appear(desk, browser, shots):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1200, "height": 800})
    _sign_in(page, desk, "erin", "/supervisors")
    reloads = []
    page.on("load", lambda _: reloads.append(page.url))
    page.screenshot(path=shots / "1-supervisors-quiet.png")

    cid = _stolen_funds()  # critical, security: to alice or dan, by the worker
    expect(page.locator('#agents tr[data-agent="alice"] .load, #agents tr[data-agent="dan"] .load')
           .filter(has_text="1 /")).to_have_count(1, timeout=30_000)  # the assignment, live
    done: dict[str, int] = {}
    tick.sla_alarms(None, utcnow() + timedelta(days=3), done)  # tick's SLA chore, three days on
    assert done.get("sla_breachs", 0) >= 1, done
    breach = page.locator(f'#alarms tr.alarm-breach[data-conversation="{cid}"]').first
    expect(breach).to_be_visible(timeout=30_000)
    assert reloads == [], f"the page was loaded again: {reloads}"
    page.screenshot(path=shots / "2-supervisors-breach.png", full_page=True)


def _stolen_funds() -> int:
    from channels.base import Inbound

    accepted = accept(Inbound(channel="email", external_id=f"<{uuid.uuid4().hex}@example.com>",
                              sender="victim@example.com", subject="Stolen funds", text=STOLEN))

    def done() -> int | None:
        with session_scope() as session:
            message = session.get(Message, accepted.message_id)
            return message.conversation_id if message.status == "done" else None

    return wait_for(done, what="the worker to run the pipeline")


def _text(message) -> str:
    body = message.get_body(("plain",))
    return body.get_content() if body else ""
