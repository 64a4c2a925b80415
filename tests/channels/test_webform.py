"""The website form over real HTTP against the running app: stored before its 202 and the
reference, one error per wrong field, the honeypot, rate limits per client and per
address; and, with a real worker and our SMTP server, the answer by email, the
customer's mail threading back into the form's conversation, and one customer behind
the form's address and the same address's mail."""
from __future__ import annotations

import re
import smtplib

import httpx
import pytest
from sqlalchemy import func, select

from conftest import reset_caches
from customer_mail import show, write_in
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Customer, Identity, Message
from support import make_email, wait_for

FORM = {"name": "Ana Souza", "email": "Ana.Souza@Example.com", "subject": "Card payment refused",
        "message": "My card payment to top up the wallet was refused twice today."}


def _messages(channel: str = "webform") -> list[Message]:
    with session_scope() as session:
        return list(session.execute(select(Message).where(Message.channel == channel, Message.direction == "in")
                                    .order_by(Message.id)).scalars())


def _post(base: str, **kwargs) -> httpx.Response:
    return httpx.post(f"{base}/forms/contact", timeout=10, **kwargs)


def test_a_valid_form_is_stored_before_the_answer_with_its_reference(api, broker):
    base, _ = api
    response = _post(base, json=FORM)
    assert response.status_code == 202, response.text
    body = response.json()
    # A reference for the visitor, and nothing of ours: no row id, no internal state.
    assert set(body) == {"status", "reference", "detail"} and re.fullmatch(r"WF-[2-9A-Z]{10}", body["reference"])
    stored = _messages()  # no waiting: stored before the 202
    assert len(stored) == 1
    message = stored[0]
    assert (message.sender.lower(), message.sender_name, message.subject, message.text) == \
        ("ana.souza@example.com", "Ana Souza", FORM["subject"], FORM["message"])
    assert any(body["reference"] in note for note in message.parse_notes)
    assert str(message.id) not in body["reference"]


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_an_html_form_post_is_taken_like_json(api, broker, encoding):
    base, _ = api
    if encoding == "urlencoded":
        response = _post(base, data=FORM)
    else:  # a form with enctype="multipart/form-data"
        response = _post(base, files={key: (None, value) for key, value in FORM.items()})
    assert response.status_code == 202, response.text
    assert [m.text for m in _messages()] == [FORM["message"]]


def test_wrong_fields_get_one_error_each_and_nothing_is_stored(api, broker):
    base, _ = api
    response = _post(base, json={"name": "A", "email": "not-an-address", "subject": "two\nlines", "message": "  "})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"email", "subject", "message"}
    assert "@" in errors["email"] and "one line" in errors["subject"] and "empty" in errors["message"]
    missing = _post(base, data={"name": "A", "subject": "hi", "message": "hello"})
    assert missing.status_code == 422 and missing.json()["errors"] == {"email": "this field is required"}
    assert _post(base, content=b"{oops", headers={"Content-Type": "application/json"}).status_code == 422
    assert _post(base, content=b"hello", headers={"Content-Type": "text/plain"}).status_code == 415
    assert _messages() == []


def test_a_filled_honeypot_is_answered_like_a_success_and_stores_nothing(api, broker):
    base, _ = api
    response = _post(base, data={**FORM, "website": "http://cheap-pills.example"})
    assert response.status_code == 202
    assert set(response.json()) == {"status", "reference", "detail"}
    assert _messages() == []


def test_too_many_forms_from_one_client_or_for_one_address_get_429(api, broker, monkeypatch):
    monkeypatch.setenv("MSGROUTER_FORM_RATE_PER_IP", "3 per hour")
    monkeypatch.setenv("MSGROUTER_FORM_RATE_PER_ADDRESS", "2 per hour")
    from config.settings import get_settings

    get_settings.cache_clear()
    base, _ = api
    # One client (the proxy in front of us names it), three addresses, then a fourth.
    client = {"X-Forwarded-For": "198.51.100.7"}
    answers = [_post(base, json={**FORM, "email": f"c{i}@example.com"}, headers=client).status_code
               for i in range(4)]
    assert answers == [202, 202, 202, 429]
    refused = _post(base, json=FORM, headers=client)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    # One address from three clients: the third is refused.
    answers = [_post(base, json={**FORM, "email": "same@example.com"},
                     headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(3)]
    assert answers == [202, 202, 429]
    assert len(_messages()) == 5


def _send_mail(port: int, mail) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(mail)


def _conversation(message_id_header: str) -> int | None:
    with session_scope() as session:
        row = session.execute(select(Message).where(Message.external_id == message_id_header)).scalars().first()
        return row.conversation_id if row is not None and row.status == "done" else None


def test_the_answer_goes_by_email_and_the_customers_mail_threads_back(worker, smtp_port, sink, api):
    base, auth = api
    assert _post(base, json=FORM).status_code == 202
    # The acknowledgement is mail to the form's address, with the case number.
    wait_for(lambda: sink.messages, what="the acknowledgement by email")
    ack = sink.parsed()[0]
    assert ack["To"] == "Ana.Souza@example.com" and ack["Auto-Submitted"] == "auto-replied"
    form = _messages()[0]
    assert ack["In-Reply-To"] == form.external_id
    with session_scope() as session:
        conversation = session.get(Conversation, form.conversation_id)
    assert conversation.channel == "webform" and f"[#{conversation.id}]" in ack["Subject"]

    answered = httpx.post(f"{base}/api/conversations/{conversation.id}/reply", headers=auth("erin"),
                          json={"text": "Hello Ana, which card network do you use?"})
    assert answered.status_code == 201, answered.text
    wait_for(lambda: len(sink.messages) >= 2, what="the agent's answer by email")
    answer = sink.parsed()[1]
    assert answer["To"] == "Ana.Souza@example.com" and "Auto-Submitted" not in answer
    assert "card network" in answer.get_content() and form.external_id in answer["References"]

    # The customer answers from their mailbox: the mail joins the form's conversation.
    # (No case number in its subject: the References alone thread it.)
    follow_up = make_email(sender="ana.souza@example.com", subject="Re: Card payment refused",
                           text="It is a Visa card.", in_reply_to=answer["Message-ID"],
                           references=[answer["Message-ID"]])
    _send_mail(smtp_port, follow_up)
    threaded = wait_for(lambda: _conversation(follow_up["Message-ID"]), what="the follow-up to thread")
    assert threaded == conversation.id
    # So does a mail that only quotes the case number in its subject.
    by_token = make_email(sender="ANA.SOUZA@example.com", subject=f"About case [#{conversation.id}]",
                          text="Any news about my payment?")
    _send_mail(smtp_port, by_token)
    assert wait_for(lambda: _conversation(by_token["Message-ID"]), what="the token mail") == conversation.id

    # The form's identity and the email identity are one customer, shown by the API.
    detail = show(api, conversation.id)
    identities = {(i["channel"], i["address"]) for i in detail["customer"]["identities"]}
    assert identities == {("webform", "ana.souza@example.com"), ("email", "ana.souza@example.com")}
    assert [m["channel"] for m in detail["messages"] if m["direction"] == "in"] == ["webform", "email", "email"]
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Customer)).scalar() == 1


def test_a_mailed_customer_who_then_uses_the_form_is_the_same_customer(api, broker):
    base, _ = api
    mailed, _ = write_in("How do I export my transaction history?", sender="lee@example.com",
                         subject="Export history")
    assert _post(base, json={**FORM, "email": "Lee@Example.com", "name": "Lee"}).status_code == 202
    drain_inbound()
    form = _messages()[0]
    with session_scope() as session:
        customers = {session.get(Conversation, cid).customer_id for cid in (mailed, form.conversation_id)}
        identities = session.execute(select(Identity.channel).order_by(Identity.channel)).scalars().all()
    assert len(customers) == 1 and identities == ["email", "webform"]
    assert form.conversation_id != mailed  # a new request, in its own conversation
    # Each conversation shows the customer's other one: their history across channels.
    history = show(api, form.conversation_id)["customer"]["conversations"]
    assert [(c["id"], c["channel"]) for c in history] == [(mailed, "email")]
    assert [c["id"] for c in show(api, mailed)["customer"]["conversations"]] == [form.conversation_id]


def test_a_form_and_a_mail_from_a_new_address_in_one_batch_are_one_customer(db_url, broker):
    from channels import email, webform

    accept(webform.parse({**FORM, "email": "new@example.com"}, reference="WF-2222222222"))
    accept(email.parse(make_email(sender="New@example.com", text="Also: my PIN is not accepted").as_bytes()))
    drain_inbound()
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Customer)).scalar() == 1
        assert session.execute(select(func.count()).select_from(Identity)).scalar() == 2


def test_a_form_from_another_address_is_not_linked(db_url, broker):
    from channels import webform

    write_in("Where is my refund?", sender="first@example.com")
    accept(webform.parse({**FORM, "email": "second@example.com"}, reference="WF-3333333333"))
    drain_inbound()
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Customer)).scalar() == 2


@pytest.fixture(autouse=True)
def _fresh_settings():
    yield
    reset_caches()
