"""The dashboard in a real browser (issue 20): Playwright drives Debian's chromium against
the running app, with a real worker, our SMTP server and a sink for the customer's mailbox.
An agent signs in, sees a mail that just came in on My work, is refused a reply that asks
for a secret (shown on the page), replies, and the reply reaches the sink; then corrects a
label and resolves. A screenshot of each page goes to the test's output folder."""
from __future__ import annotations

import smtplib
import uuid

from dashboard import PASSWORD, give_password, needs_chromium
from router.storage.db import session_scope
from router.storage.models import Conversation
from support import make_email, wait_for

pytestmark = needs_chromium




def test_an_agent_answers_a_new_mail_from_the_dashboard(desk, browser, sink, smtp_port, shots):
    give_password("alice")
    subject = f"Withdrawal missing {uuid.uuid4().hex[:6]}"
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(desk + "/")
    page.screenshot(path=shots / "1-sign-in.png")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("form#login button[type=submit]")
    page.wait_for_url(desk + "/work")

    # A customer writes; alice (transactions pool, free capacity) is assigned it.
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(make_email(sender="wei@example.com", subject=subject,
                                     text="My withdrawal of 500 USDT has not arrived since yesterday."))
    wait_for(lambda: _assigned(subject), what="the mail to reach alice")
    page.reload()
    row = page.locator("tr", has_text=subject)
    row.wait_for()
    countdown = row.locator(".countdown")
    assert "h" in countdown.inner_text() or "m" in countdown.inner_text()  # a running clock, not the raw date
    page.screenshot(path=shots / "2-my-work.png")

    row.locator("a").first.click()
    page.wait_for_selector("#reply-form")
    cid = int(page.url.rsplit("/", 1)[1])
    page.fill("#reply-form textarea", "Please send us your 12-word recovery phrase so we can verify your wallet.")
    page.click("#reply")
    page.wait_for_selector("#reply-error")
    page.screenshot(path=shots / "3-reply-refused.png")
    assert "recovery phrase" in page.input_value("#reply-form textarea")  # the draft is kept

    answer = "We are checking this withdrawal with the chain now and will write within the hour."
    page.fill("#reply-form textarea", answer)
    page.click("#reply")
    page.wait_for_selector("#done")
    wait_for(lambda: any(answer in _text(m) for m in sink.parsed()), what="the reply to reach the sink")
    assert not any("so we can verify your wallet" in _text(m) for m in sink.parsed())

    page.select_option("select[name=urgency]", "high")
    page.click("#save-labels")
    page.wait_for_selector("#done")
    assert page.inner_text("#urgency") == "high"
    page.screenshot(path=shots / "4-conversation.png", full_page=True)

    page.click("#resolve")
    page.wait_for_selector("#done")
    assert page.inner_text("#state") == "resolved"
    with session_scope() as session:
        c = session.get(Conversation, cid)
        assert (c.state, c.urgency) == ("resolved", "high")
    page.goto(desk + "/pools/transactions")
    page.screenshot(path=shots / "5-pool-queue.png")


def _assigned(subject: str) -> bool:
    from sqlalchemy import select

    from router.storage.models import Agent

    with session_scope() as session:
        return session.execute(select(Conversation.id).join(Agent, Agent.id == Conversation.assignee_id)
                               .where(Conversation.subject == subject, Agent.name == "alice")).first() is not None


def _text(message) -> str:
    body = message.get_body(("plain",))
    return body.get_content() if body else ""
