"""The conversation page's actions in a real browser (issue 20): Playwright drives Debian's
chromium against the running app, with a real worker, our SMTP server and a sink for the
customer's mailbox. An agent signs in, opens a mail that just came in, adds an internal
note (shown in the thread, never sent), inserts a macro with the page's script and sends
it (it reaches the sink), corrects a label and reassigns the case to bob. A screenshot of
each page goes to the test's output folder."""
from __future__ import annotations

import re
import smtplib
import uuid

from sqlalchemy import select

from dashboard import PASSWORD, give_password, needs_chromium
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Message
from support import make_email, wait_for

pytestmark = needs_chromium
NOTE = "Chain explorer shows the withdrawal stuck in our hot wallet queue; asked the chain team."




def test_an_agent_notes_answers_with_a_macro_relabels_and_reassigns(desk, browser, sink, smtp_port, shots):
    give_password("alice")
    customer = f"wei-{uuid.uuid4().hex[:6]}@example.com"
    subject = f"Withdrawal missing {uuid.uuid4().hex[:6]}"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(desk + "/")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("form#login button[type=submit]")
    page.wait_for_url(desk + "/work")

    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(make_email(sender=customer, subject=subject, name="Wei",
                                     text="My withdrawal of 500 USDT has not arrived since yesterday."))
    cid = wait_for(lambda: _assigned(subject, "alice"), what="the mail to reach alice")
    wait_for(lambda: _mail_to(sink, customer), what="the acknowledgement to reach the customer")
    page.reload()
    page.locator("tr", has_text=subject).locator("a").first.click()
    page.wait_for_url(f"{desk}/conversations/{cid}")
    page.screenshot(path=shots / "1-conversation.png", full_page=True)

    # An internal note: in the thread, marked, and nothing goes to the customer.
    page.fill("#note-form textarea", NOTE)
    page.click("#add-note")
    page.wait_for_url(re.compile(r".*done=noted$"))
    note = page.locator("li.note")
    assert NOTE in note.inner_text() and note.locator(".badge").is_visible()
    page.screenshot(path=shots / "2-note.png", full_page=True)

    # A macro inserted by the page's script, at the cursor, without leaving the page.
    page.fill("#reply-form textarea", "")
    page.select_option("#macro", "withdrawal-txid")
    page.click("#insert-macro")
    draft = page.input_value("#reply-form textarea")
    assert draft.startswith("Hello Wei,") and f"case #{cid}" in draft
    assert page.url.endswith("done=noted")  # the script filled it; no ?macro= request was made
    page.screenshot(path=shots / "3-macro-inserted.png", full_page=True)
    page.click("#reply")
    page.wait_for_url(re.compile(r".*done=sent$"))
    sent = wait_for(lambda: [m for m in _mail_to(sink, customer) if "transaction hash (txid)" in _text(m)],
                    what="the macro's reply to reach the customer")
    assert _text(sent[0]).startswith("Hello Wei,")
    # The note was never queued or mailed, before the reply or with it.
    assert not any("hot wallet queue" in _text(m) for m in sink.parsed())
    with session_scope() as session:
        texts = session.execute(select(Message.text).where(Message.conversation_id == cid)).scalars().all()
    assert not any("hot wallet queue" in t for t in texts)

    assert page.inner_text("#urgency") != "critical"
    page.select_option("select[name=urgency]", "critical")
    page.click("#save-labels")
    page.wait_for_url(re.compile(r".*done=labelled$"))
    assert page.inner_text("#urgency") == "critical"

    page.select_option("#reassign-form select[name=agent]", "bob")
    page.screenshot(path=shots / "4-reassign.png", full_page=True)
    page.click("#reassign")
    page.wait_for_url(re.compile(r".*done=reassigned$"))
    assert page.inner_text("#assignee") == "bob"
    page.screenshot(path=shots / "5-reassigned.png", full_page=True)
    assert _assigned(subject, "bob") == cid
    with session_scope() as session:
        assert session.get(Conversation, cid).urgency == "critical"

    page.goto(desk + "/pools/transactions")
    page.locator("#members").wait_for()
    assert "1/15" in page.locator("#members tr[data-agent=bob]").inner_text()
    page.screenshot(path=shots / "6-pool-load.png", full_page=True)


def _assigned(subject: str, agent: str) -> int | None:
    with session_scope() as session:
        return session.execute(select(Conversation.id).join(Agent, Agent.id == Conversation.assignee_id)
                               .where(Conversation.subject == subject, Agent.name == agent)).scalar()


def _mail_to(sink, address: str) -> list:
    return [m for m in sink.parsed() if m["To"] == address]


def _text(message) -> str:
    body = message.get_body(("plain",))
    return body.get_content() if body else ""
