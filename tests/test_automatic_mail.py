"""Automatic mail opens no work, on the real stack: our SMTP server, a real Celery worker on
Redis, the agent API and a sink for what we send. Each kind of machine-written mail is
stored, parked (no pool, no assignee, no deadline) and never answered; one that threads
joins its conversation without moving its clocks or reopening it; a permanent bounce of
our mail marks the address undeliverable."""
from __future__ import annotations

import smtplib

import httpx
import pytest
from sqlalchemy import func, select

from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event, Identity, Message
from support import make_email, wait_for

KINDS = {  # name -> (sender, extra headers, envelope sender)
    "Auto-Submitted: auto-replied": ("away@example.com", {"Auto-Submitted": "auto-replied"}, None),
    "Auto-Submitted: auto-generated": ("alerts@example.com", {"Auto-Submitted": "auto-generated"}, None),
    "Precedence: bulk": ("news@example.com", {"Precedence": "bulk"}, None),
    "Precedence: junk": ("junk@example.com", {"Precedence": "junk"}, None),
    "Precedence: list": ("list@example.com", {"Precedence": "list"}, None),
    "X-Autoreply": ("vacation@example.com", {"X-Autoreply": "yes"}, None),
    "X-Autorespond": ("respond@example.com", {"X-Autorespond": "yes"}, None),
    "List-Id": ("members@lists.example.com", {"List-Id": "Members <members.lists.example.com>"}, None),
    "mailer-daemon sender": ("MAILER-DAEMON@mx.example.net", {}, None),
    "postmaster sender": ("postmaster@example.net", {}, None),
    "MAIL FROM:<>": ("robot@example.org", {}, "<>"),
}


def _send(port: int, msg, envelope_from: str | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        if envelope_from is None:
            client.send_message(msg)
        else:
            client.sendmail(envelope_from, ["support@pinecone.example"], msg.as_bytes())


def _all_done(count: int):
    def check() -> bool:
        with session_scope() as session:
            statuses = session.execute(select(Message.status).where(Message.direction == "in")).scalars().all()
        return len(statuses) == count and all(s == "done" for s in statuses)
    return check


def _message(external_id: str) -> Message:
    with session_scope() as session:
        return session.execute(select(Message).where(Message.external_id == external_id)).scalar_one()


def _conversation(conversation_id: int) -> Conversation:
    with session_scope() as session:
        return session.get(Conversation, conversation_id)


def _outbound() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(Message.direction == "out")).scalar()


def test_each_kind_of_automatic_mail_is_stored_parked_and_never_answered(worker, smtp_port, sink, api):
    base, auth = api
    sent = {}
    for i, (kind, (sender, headers, envelope)) in enumerate(KINDS.items()):
        mail = make_email(sender=sender, subject=f"Automatic {i}", text=f"Machine text number {i}: {kind}.",
                          headers=headers)
        _send(smtp_port, mail, envelope)
        sent[kind] = mail["Message-ID"]
    person = make_email(sender="human@example.com", subject="Withdrawal missing",
                        text="My withdrawal has not arrived since yesterday.")
    _send(smtp_port, person)
    wait_for(_all_done(len(KINDS) + 1), what="every mail through the pipeline")
    wait_for(lambda: sink.messages, what="the person's acknowledgement")

    assert [rcpts for _, rcpts, _ in sink.messages] == [["human@example.com"]]
    assert _outbound() == 1, "no acknowledgement queued for any automatic mail"
    with session_scope() as session:
        assert session.execute(select(func.sum(Agent.open_count))).scalar() == 1, "only the person's case is work"
    parked = {row["id"] for row in httpx.get(f"{base}/api/parked", headers=auth("erin")).json()}
    for kind, message_id in sent.items():
        message = _message(message_id)
        conversation = _conversation(message.conversation_id)
        assert message.auto_submitted and message.auto_reason, kind
        assert conversation.state == "parked", kind
        assert (conversation.assignee_id, conversation.pool_id) == (None, None), kind
        assert (conversation.due_at, conversation.first_reply_due_at, conversation.resolution_due_at) \
            == (None, None, None), kind
        assert conversation.id in parked, kind
    shown = httpx.get(f"{base}/api/conversations/{_message(sent['Precedence: bulk']).conversation_id}",
                      headers=auth("erin")).json()
    assert shown["state"] == "parked"
    assert shown["messages"][0]["auto_reason"] == "Precedence: bulk"
    assert _conversation(_message(person["Message-ID"]).conversation_id).state == "open"


def _opened_case(port: int, sink, sender: str) -> tuple[Conversation, object]:
    """A person's mail, worked: assigned, on the clock, acknowledged. Returns it and the ack."""
    question = make_email(sender=sender, subject="Fee question", text="What is the fee for sending BTC?")
    _send(port, question)
    wait_for(lambda: len(sink.messages) >= 1, what="the acknowledgement")
    conversation = _conversation(_message(question["Message-ID"]).conversation_id)
    assert conversation.assignee_id is not None and conversation.due_at is not None
    return conversation, sink.parsed()[0]


CLOCKS = ("state", "assignee_id", "pool_id", "due_at", "first_reply_due_at", "next_reply_due_at",
          "resolution_due_at", "last_inbound_at", "urgency", "category")


@pytest.mark.parametrize("resolved_first", [False, True], ids=["open", "resolved"])
def test_an_auto_reply_that_threads_joins_its_case_without_moving_it(worker, smtp_port, sink, api, resolved_first):
    base, auth = api
    conversation, ack = _opened_case(smtp_port, sink, "wei@example.com")
    if resolved_first:
        done = httpx.post(f"{base}/api/conversations/{conversation.id}/resolve", headers=auth("erin"))
        assert done.status_code == 200, done.text
        conversation = _conversation(conversation.id)
    before = {name: getattr(conversation, name) for name in CLOCKS}
    with session_scope() as session:
        loads = dict(session.execute(select(Agent.name, Agent.open_count)).all())

    vacation = make_email(sender="wei@example.com", subject="Out of office: " + str(ack["Subject"]),
                          text="I am away until Monday and will read your mail then. URGENT matters: call me.",
                          in_reply_to=ack["Message-ID"], references=[ack["Message-ID"]],
                          headers={"Auto-Submitted": "auto-replied"})
    _send(smtp_port, vacation)
    wait_for(_all_done(2), what="the auto-reply through the pipeline")

    assert _message(vacation["Message-ID"]).conversation_id == conversation.id
    after = _conversation(conversation.id)
    assert {name: getattr(after, name) for name in CLOCKS} == before
    with session_scope() as session:
        assert dict(session.execute(select(Agent.name, Agent.open_count)).all()) == loads
        kinds = session.execute(select(Event.kind).where(Event.conversation_id == conversation.id)).scalars().all()
    assert "reopened" not in kinds
    assert _outbound() == 1 and len(sink.messages) == 1, "the auto-reply was not answered"


def _bounce(original_message_id: str, recipient: str, status: str = "5.1.1") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: support@pinecone.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce.{abs(hash((original_message_id, recipient)))}@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"\r\n\r\n'
        "--DSN\r\nContent-Type: text/plain\r\n\r\n"
        f"I could not deliver your message to <{recipient}>: 550 {status} user unknown.\r\n\r\n"
        "--DSN\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} user unknown\r\n\r\n"
        "--DSN\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@pinecone.example\r\nTo: {recipient}\r\nMessage-ID: {original_message_id}\r\n"
        "Subject: We have your message\r\n\r\n"
        "--DSN--\r\n").encode()


def _undeliverable(address: str) -> bool:
    with session_scope() as session:
        return session.execute(select(Identity.undeliverable).where(Identity.address == address)).scalar_one()


def test_a_permanent_bounce_of_our_mail_marks_the_address_undeliverable(worker, smtp_port, sink):
    conversation, ack = _opened_case(smtp_port, sink, "bob@example.com")
    # A "bounce" for carol naming a Message-ID that is not ours changes nothing.
    carol = make_email(sender="carol@example.com", text="Carol's own question.")
    _send(smtp_port, carol)
    wait_for(lambda: len(sink.messages) >= 2, what="carol's acknowledgement")

    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.sendmail("<>", ["support@pinecone.example"], _bounce(ack["Message-ID"], "bob@example.com"))
        client.sendmail("<>", ["support@pinecone.example"], _bounce("<forged@elsewhere.example>",
                                                                     "carol@example.com"))
    wait_for(_all_done(4), what="the bounces through the pipeline")

    assert _undeliverable("bob@example.com")
    assert not _undeliverable("carol@example.com"), "a report naming no mail of ours marks nobody"
    with session_scope() as session:
        bounce = session.execute(select(Message).where(Message.direction == "in", Message.sender ==
                                                       "mailer-daemon@mx.example.net")
                                 .order_by(Message.id)).scalars().first()
        events = session.execute(select(Event).where(Event.kind == "undeliverable")).scalars().all()
    assert bounce.conversation_id == conversation.id, "the bounce joins the case whose mail bounced"
    assert bounce.delivery_report["permanent"] == ["bob@example.com"]
    assert [(e.conversation_id, e.data["address"]) for e in events] == [(conversation.id, "bob@example.com")]
    assert _outbound() == 2 and len(sink.messages) == 2, "no bounce was answered"
