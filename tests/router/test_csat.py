"""Customer satisfaction on the real stack: customer mail and forms in through intake and
the pipeline, agents over HTTP, the rating request out through the outbox to an SMTP sink
(the customer's mailbox), the customer rating on the signed link's page over HTTP. One
request per resolution, only to customers a person answered; the first rating stays; a
comment's secrets are redacted before anything is stored; a tampered, foreign or expired
link is refused and stores nothing."""
from __future__ import annotations

import time
import uuid

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from mnemonic import Mnemonic
from sqlalchemy import func, select, text

from channels import webform
from conftest import reset_caches
from csat_support import answered, rate, requests_in, resolve
from customer_mail import show, write_in
from router.csat.links import HIDDEN, SALT
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import get_engine, session_scope
from router.storage.models import Csat, Event, Message


def _surveys() -> list[Csat]:
    with session_scope() as session:
        return list(session.execute(select(Csat).order_by(Csat.id)).scalars())


def test_resolution_mails_one_link_and_the_link_rates_once(api, broker, sink):
    base, _ = api
    cid = answered(api, sink, sender="wei@example.com")
    resolve(api, cid)
    resolve(api, cid)  # resolving twice is one resolution: asked once
    assert deliver_pending() == 1
    [mail] = sink.parsed()
    assert mail["To"] == "wei@example.com" and f"[#{cid}]" in mail["Subject"]
    assert mail["Auto-Submitted"] == "auto-replied"  # no autoresponder answers it
    [token] = requests_in(sink)

    page = httpx.get(f"{base}/csat/{token}")
    assert page.status_code == 200 and 'name="score"' in page.text and f"#{cid}" in page.text
    thanks = rate(base, token, "4", "Quick and clear, thank you.")
    assert thanks.status_code == 200 and 'id="csat-outcome"' in thanks.text
    again = rate(base, token, "1", "changed my mind")
    assert again.status_code == 200 and "rated already" in again.text  # the first rating stays
    assert "rated already" in httpx.get(f"{base}/csat/{token}").text

    detail = show(api, cid)
    [rating] = detail["csat"]
    assert (rating["score"], rating["comment"], rating["rated_by"], rating["channel"]) == \
        (4, "Quick and clear, thank you.", "link", "email")
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds.count("csat_requested") == 1 and kinds.count("csat_rated") == 1
    assert detail["state"] == "resolved"
    # Agents read the request as sent, without the customer's token: they cannot rate for them.
    request = detail["messages"][-1]
    assert request["automatic"] and HIDDEN in request["text"] and token not in request["text"]


def test_a_comment_with_a_phrase_and_a_password_is_stored_redacted(api, broker, sink):
    base, _ = api
    cid = answered(api, sink, sender="lin@example.com")
    resolve(api, cid)
    deliver_pending()
    [token] = requests_in(sink)
    phrase = Mnemonic("english").generate(strength=128)
    password = "Tq7-" + uuid.uuid4().hex[:10]
    comment = f"Great help. My seed phrase is {phrase}. And my password is {password} by the way."
    assert rate(base, token, "5", comment).status_code == 200
    [rating] = show(api, cid)["csat"]
    assert "[REDACTED:mnemonic]" in rating["comment"] and "[REDACTED:password]" in rating["comment"]
    assert rating["comment"].startswith("Great help.")
    with get_engine().connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(text("SELECT * FROM csat")) for v in row)
        stored += " ".join(str(v) for row in conn.execute(text("SELECT data FROM event")) for v in row)
    assert password not in stored and " ".join(phrase.split()[:4]) not in stored


def test_the_website_form_is_asked_by_mail_with_the_link(api, broker, sink):
    base, auth = api
    inbound = webform.parse({"name": "Mei", "email": "mei@example.com", "subject": "Account locked",
                             "message": "I cannot sign in to my account since this morning."},
                            reference=webform.new_reference())
    accepted = accept(inbound)
    drain_inbound()
    with session_scope() as session:
        cid = session.get(Message, accepted.message_id).conversation_id
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                      json={"text": "Your account is unlocked again."}).status_code == 201
    deliver_pending()
    sink.messages.clear()
    resolve(api, cid)
    deliver_pending()
    [token] = requests_in(sink)
    assert rate(base, token, "3").status_code == 200
    assert [(s.channel, s.score, s.rated_by) for s in _surveys()] == [("webform", 3, "link")]


def test_no_request_without_an_answer_or_with_csat_off(api, broker, sink, monkeypatch):
    unanswered, _ = write_in("Please close my account.", sender="quiet@example.com", subject="Close")
    deliver_pending()
    sink.messages.clear()
    resolve(api, unanswered)  # nobody answered (spam, a duplicate): nobody is asked
    monkeypatch.setenv("MSGROUTER_CSAT", "off")
    reset_caches()
    case = answered(api, sink, sender="off@example.com")
    resolve(api, case)
    deliver_pending()
    assert requests_in(sink) == [] and _surveys() == []


def test_a_conversation_resolved_again_is_asked_again(api, broker, sink):
    base, auth = api
    cid = answered(api, sink, sender="again@example.com")
    resolve(api, cid)
    deliver_pending()
    [first] = requests_in(sink)
    assert rate(base, first, "2", "still not there").status_code == 200
    # The customer answers our mail: the conversation reopens, is answered and resolved again.
    sink.messages.clear()
    with session_scope() as session:
        ours = session.execute(select(Message.external_id).where(
            Message.conversation_id == cid, Message.direction == "out").order_by(Message.id.desc())).scalar()
    again, _ = write_in("It still has not arrived.", sender="again@example.com", subject="Re: Withdrawal",
                        in_reply_to=ours)
    assert again == cid
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                      json={"text": "Found it: it is credited now."}).status_code == 201
    resolve(api, cid)
    deliver_pending()
    second = requests_in(sink)[-1]
    assert second != first
    assert rate(base, second, "5").status_code == 200
    assert [r["score"] for r in show(api, cid)["csat"]] == [2, 5]


def test_tampered_foreign_and_expired_links_are_refused_and_store_nothing(api, broker, sink, monkeypatch):
    base, _ = api
    cid = answered(api, sink, sender="mallory@example.com")
    resolve(api, cid)
    deliver_pending()
    [token] = requests_in(sink)
    survey_id = _surveys()[0].id
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    foreign = URLSafeTimedSerializer("somebody-else's key", salt=SALT).dumps(survey_id)
    other_salt = URLSafeTimedSerializer("dev-only-insecure-secret-key", salt="itsdangerous").dumps(survey_id)
    for bad in (tampered, foreign, other_salt, "not-a-token", token.split(".")[0]):
        for response in (httpx.get(f"{base}/csat/{bad}"), rate(base, bad, "1", "hacked")):
            assert response.status_code == 400, (bad, response.status_code)
            assert "not valid" in response.text
    # The link's life ends: 410, and it stores nothing either.
    monkeypatch.setenv("MSGROUTER_CSAT_LINK_DAYS", "0.00001")  # under a second
    reset_caches()
    time.sleep(1.5)
    for response in (httpx.get(f"{base}/csat/{token}"), rate(base, token, "1", "late")):
        assert response.status_code == 410 and "expired" in response.text
    assert _surveys()[0].score is None
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Event).where(Event.kind == "csat_rated")).scalar() == 0


@pytest.mark.parametrize("score", ["", "0", "6", "four"])
def test_a_missing_or_wrong_score_is_asked_again_keeping_the_comment(api, broker, sink, score):
    base, _ = api
    cid = answered(api, sink, sender=f"typo-{uuid.uuid4().hex[:6]}@example.com")
    resolve(api, cid)
    deliver_pending()
    [token] = requests_in(sink)
    answer = rate(base, token, score, "kept comment")
    assert answer.status_code == 422 and 'id="csat-error"' in answer.text and "kept comment" in answer.text
    assert _surveys()[0].score is None
