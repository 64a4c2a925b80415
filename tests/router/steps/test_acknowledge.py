"""The acknowledgement policy as the README promises it: a few automatic answers per
customer per window, one per conversation (a secret still gets its notice), none to a
bounced address or to machine-written mail, the deadline and the language it states."""
from __future__ import annotations

import re
import smtplib
from datetime import UTC, timedelta

import pytest
from mnemonic import Mnemonic
from sqlalchemy import select

from config.desk import get_desk
from config.settings import get_settings
from pipeline_support import (
    RefusingSink,
    conversation,
    delivered,
    event_kinds,
    ingest,
    later,
    outbound_of,
)
from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Identity, Message
from support import make_email

TOPICS = ["The app crashes when I open the settings page.",
          "How do I export my transaction history to a spreadsheet?",
          "The price chart does not load on my tablet.",
          "Can I change the display currency to euros?",
          "Where can I find the app's version number?"]


def _new_case(sender: str, n: int) -> Message:
    """A new conversation from `sender`: a fresh subject and text, threaded to nothing,
    written `n` times the same-sender window (and a minute) after the first, so that it
    does not join the sender's previous case (`repeat`)."""
    apart = timedelta(seconds=get_desk().threading.same_sender_window) + timedelta(minutes=1)
    with later(apart * n):
        return ingest(make_email(sender=sender, subject=f"Question {n}", text=TOPICS[n]))


def test_at_most_max_per_customer_inside_the_window_and_again_after_it(db_url, broker, sink):
    policy = get_desk().acknowledgement
    window = timedelta(seconds=policy.window)
    apart = timedelta(seconds=get_desk().threading.same_sender_window) + timedelta(minutes=1)
    assert apart * policy.max_per_customer < window  # the cases below all fall in one window
    for n in range(policy.max_per_customer):
        assert len(outbound_of(_new_case("kim@example.com", n).conversation_id)) == 1
    assert len(delivered(sink, "kim@example.com")) == policy.max_per_customer

    # Still inside the window: a new case opens, but nobody answers it automatically.
    over = _new_case("kim@example.com", policy.max_per_customer)
    with later(apart * policy.max_per_customer):
        other = ingest(make_email(sender="lee@example.com", subject="Question",
                                  text=TOPICS[policy.max_per_customer]))
        assert len(delivered(sink, "kim@example.com")) == policy.max_per_customer
    assert over.conversation_id is not None and outbound_of(over.conversation_id) == []
    assert "acknowledged" not in event_kinds(over.conversation_id)
    assert len(outbound_of(other.conversation_id)) == 1  # the limit is per customer

    # The window has passed since the first answer: the next case is answered again.
    with later(window + timedelta(minutes=5)):
        again = _new_case("kim@example.com", 0)
        mails = delivered(sink, "kim@example.com")
    assert again.conversation_id not in (over.conversation_id, None)
    assert len(mails) == policy.max_per_customer + 1
    assert f"[#{again.conversation_id}]" in mails[-1]["Subject"]


def test_a_second_message_in_the_conversation_gets_no_acknowledgement(db_url, broker, sink):
    first = ingest(make_email(sender="ann@example.com", subject="Sync stuck",
                              text="My wallet has been stuck syncing at 98% since this morning."))
    [ack] = delivered(sink, "ann@example.com")
    follow_up = ingest(make_email(sender="ann@example.com", subject="Re: " + ack["Subject"],
                                  text="It is still stuck, I restarted the phone twice.",
                                  in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]]))
    assert follow_up.conversation_id == first.conversation_id
    assert len(outbound_of(first.conversation_id)) == 1
    assert event_kinds(first.conversation_id).count("acknowledged") == 1
    assert len(delivered(sink, "ann@example.com")) == 1
    # The trail says why the follow-up was not answered.
    assert {"step": "acknowledge", "reason": "no acknowledgement: conversation already acknowledged",
            "message_id": follow_up.id} in conversation(first.conversation_id).reasons


def test_a_threaded_message_holding_a_secret_gets_the_secret_notice(db_url, broker, sink):
    notice_start = get_desk().acknowledgement.templates["en"].secret_notice[:60]
    first = ingest(make_email(sender="ann@example.com", subject="Sync stuck",
                              text="My wallet has been stuck syncing at 98% since this morning."))
    [ack] = delivered(sink, "ann@example.com")
    assert notice_start not in ack.get_content()
    phrase = Mnemonic("english").generate(strength=128)
    leak = ingest(make_email(sender="ann@example.com", subject="Re: " + ack["Subject"],
                             text=f"Support asked me to verify, here are my words:\n{phrase}\n",
                             in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]]))
    assert leak.conversation_id == first.conversation_id
    mails = delivered(sink, "ann@example.com")
    assert len(mails) == 2
    assert notice_start in mails[1].get_content()
    assert phrase.split()[0] + " " + phrase.split()[1] not in mails[1].get_content()
    # The notice comes first, then a blank line, then the acknowledgement as usual.
    template = get_desk().acknowledgement.templates["en"]
    text = mails[1].get_content().replace("\r\n", "\n")
    assert text.startswith(template.secret_notice + "\n\n" + template.body.split("{")[0])


@pytest.fixture
def refusing_relay(monkeypatch):
    """Our relay refuses gone@example.com for good, as a mailbox that no longer exists."""
    with RefusingSink({"gone@example.com"}) as relay:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        get_settings.cache_clear()
        yield relay
    get_settings.cache_clear()


def test_no_acknowledgement_to_an_address_that_bounced_permanently(db_url, broker, refusing_relay):
    first = _new_case("gone@example.com", 0)
    assert len(outbound_of(first.conversation_id)) == 1
    assert delivered(refusing_relay) == []  # the relay answered 550 to the recipient
    assert "delivery_failed" in event_kinds(first.conversation_id)
    with session_scope() as session:
        identity = session.execute(select(Identity).where(Identity.address == "gone@example.com")).scalars().one()
        assert identity.undeliverable

    second = _new_case("gone@example.com", 1)
    # Processed, not failed: a message the step choked on would leave no acknowledgement either.
    assert second.status == "done"
    assert second.conversation_id != first.conversation_id
    assert outbound_of(second.conversation_id) == []
    assert "acknowledged" not in event_kinds(second.conversation_id)
    assert {"step": "acknowledge", "reason": "no acknowledgement: address is known to be undeliverable",
            "message_id": second.id} in conversation(second.conversation_id).reasons


AUTOMATIC = {  # how machine-written mail shows itself: (extra headers, SMTP MAIL FROM)
    "precedence-bulk": ({"Precedence": "bulk"}, "news@shop.example"),
    "list-id": ({"List-Id": "Shop news <news.shop.example>"}, "news@shop.example"),
    "auto-generated": ({"Auto-Submitted": "auto-generated"}, "news@shop.example"),
    "null-sender": ({}, ""),  # MAIL FROM:<>, as bounces and auto-replies are sent
}


@pytest.mark.parametrize("kind", sorted(AUTOMATIC))
def test_no_acknowledgement_to_automatic_mail(kind, smtp_port, broker, sink):
    headers, mail_from = AUTOMATIC[kind]
    msg = make_email(sender="news@shop.example", subject="Your weekly update",
                     text="Here is what happened in your account this week.", headers=headers)
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(msg, from_addr=mail_from)
    drain_inbound()
    with session_scope() as session:
        row = session.execute(select(Message).where(Message.external_id == msg["Message-ID"])).scalars().one()
    assert row.status == "done" and row.conversation_id is not None
    assert outbound_of(row.conversation_id) == []
    assert delivered(sink) == []


@pytest.mark.parametrize(("subject", "text"), [
    ("Fee question", "What is the network fee for sending USDT on Tron?"),
    ("钱包被盗", "我的钱包被盗了，里面的 USDT 刚刚全部被转走，我没有授权任何转账！"),
], ids=["en-normal", "zh-critical"])
def test_the_due_time_stated_is_the_first_reply_deadline(db_url, broker, sink, subject, text):
    message = ingest(make_email(sender="wu@example.com", subject=subject, text=text))
    [ack] = delivered(sink, "wu@example.com")
    stated = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", ack.get_content())
    due = conversation(message.conversation_id).first_reply_due_at
    assert stated == [f"{due.astimezone(UTC):%Y-%m-%d %H:%M}"]


@pytest.mark.parametrize(("language", "subject", "text"), [
    ("zh", "转账问题", "你好，请问转账到交易所一般需要多长时间才能到账？"),
    ("en", "Transfer question", "Hello, how long does a transfer to an exchange usually take to arrive?"),
], ids=["zh", "en"])
def test_the_acknowledgement_speaks_the_language_of_the_message(db_url, broker, sink, language,
                                                                  subject, text):
    templates = get_desk().acknowledgement.templates
    message = ingest(make_email(sender="yu@example.com", subject=subject, text=text))
    [ack] = delivered(sink, "yu@example.com")
    assert ack["Subject"] == templates[language].subject.format(conversation_id=message.conversation_id)
    # The template's last paragraph is the warning, the same in every mail of its language.
    for lang, template in templates.items():
        warning = template.body.split("\n\n")[-2]
        assert (warning in ack.get_content()) == (lang == language)
