"""CSAT in a real browser (issue 20: "resolve it, and the customer rates it"): Playwright
drives Debian's chromium against the running app, with a real worker, our SMTP server and a
sink for the customer's mailbox. An agent signs in, answers and resolves a conversation from
its page; the rating request reaches the customer's mailbox with its link; the customer
opens the link and rates 4 with a comment; the agent's page shows the rating. A screenshot
of each page goes to the test's output folder."""
from __future__ import annotations

import re
import smtplib
import uuid

from dashboard import PASSWORD, give_password, needs_chromium
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation
from support import make_email, wait_for

pytestmark = needs_chromium
LINK = re.compile(r"(http://\S+/csat/\S+)")




def test_the_agent_resolves_and_the_customer_rates_from_the_mailed_link(desk, browser, sink, smtp_port, shots):
    give_password("alice")
    subject = f"Withdrawal missing {uuid.uuid4().hex[:6]}"
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(make_email(sender="wei@example.com", subject=subject,
                                     text="My withdrawal of 500 USDT has not arrived since yesterday."))
    cid = wait_for(lambda: _assigned(subject), what="the mail to reach alice")

    agent = browser.new_page(viewport={"width": 1200, "height": 800})
    agent.goto(desk + "/")
    agent.fill("input[name=name]", "alice")
    agent.fill("input[name=password]", PASSWORD)
    agent.click("form#login button[type=submit]")
    agent.wait_for_url(desk + "/work")
    agent.goto(f"{desk}/conversations/{cid}")
    agent.fill("#reply-form textarea", "The withdrawal was sent again and is on the chain now.")
    agent.click("#reply")
    agent.wait_for_selector("#done")
    agent.click("#resolve")
    agent.wait_for_selector("#done")
    assert agent.inner_text("#state") == "resolved"
    agent.screenshot(path=shots / "1-resolved-asked.png", full_page=True)

    link = wait_for(lambda: _link_in(sink), what="the rating request to reach the customer")
    assert link.startswith(desk + "/csat/")
    customer = browser.new_page(viewport={"width": 900, "height": 700})
    customer.goto(link)
    customer.wait_for_selector("#csat-form")
    customer.screenshot(path=shots / "2-rating-form.png")
    customer.check("#score-4")
    customer.fill("#csat-form textarea", "Quick and clear, thank you.")
    customer.click("#csat-send")
    customer.wait_for_selector("#csat-outcome")
    assert "Thank you" in customer.inner_text("#csat-outcome")
    customer.screenshot(path=shots / "3-rating-thanks.png")

    agent.reload()
    ratings = agent.locator("#csat-ratings")
    assert ratings.locator(".csat-score").inner_text() == "4/5"
    assert ratings.locator(".csat-comment").inner_text() == "Quick and clear, thank you."
    agent.screenshot(path=shots / "4-conversation-rated.png", full_page=True)


def _assigned(subject: str) -> int | None:
    from sqlalchemy import select

    with session_scope() as session:
        return session.execute(select(Conversation.id).join(Agent, Agent.id == Conversation.assignee_id)
                               .where(Conversation.subject == subject, Agent.name == "alice")).scalar()


def _link_in(sink) -> str | None:
    for message in sink.parsed():
        body = message.get_body(("plain",))
        found = LINK.search(body.get_content() if body else "")
        if found:
            return found.group(1)
    return None
