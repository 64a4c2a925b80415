"""Customer satisfaction on the real stack: customer mail and forms in through intake and
the pipeline, agents over HTTP, the rating request out through the outbox to an SMTP sink
(the customer's mailbox), the customer rating on the signed link's page over HTTP. One
request per resolution, only to customers a person answered; the first rating stays; a
comment's secrets are redacted before anything is stored; a tampered, foreign or expired
link is refused and stores nothing."""
from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from mnemonic import Mnemonic
from sqlalchemy import func, select, text

from channels import webform
from conftest import reset_caches
from customer_mail import show, write_in
from router.csat_links import SALT
from router.db import get_engine, session_scope
from router.drain import drain_inbound
from router.intake import accept
from router.models import Csat, Event
from router.outbox import deliver_pending

LINK = re.compile(r"https?://\S+/csat/([A-Za-z0-9_.\-]+)")


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def _answered(api, sink, *, sender: str, agent: str = "erin") -> int:
    """A customer's mail answered by an agent, the sink emptied: ready to resolve."""
    cid, _ = write_in("My withdrawal of 200 USDT has not arrived.", sender=sender, subject="Withdrawal missing")
    base, auth = api
    reply = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(agent),
                       json={"text": "It has been sent again; it should arrive within the hour."})
    assert reply.status_code == 201, reply.text
    deliver_pending()
    sink.messages.clear()
    return cid


def _resolve(api, cid: int, agent: str = "erin") -> None:
    base, auth = api
    answer = httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth(agent))
    assert answer.status_code == 200, answer.text


def _requests_in(sink) -> list[str]:
    """The tokens of the rating links the customer received."""
    return [found.group(1) for m in sink.parsed() if (found := LINK.search(_body(m)))]


def _surveys() -> list[Csat]:
    with session_scope() as session:
        return list(session.execute(select(Csat).order_by(Csat.id)).scalars())


def _rate(base: str, token: str, score: str, comment: str = "") -> httpx.Response:
    return httpx.post(f"{base}/csat/{token}", data={"score": score, "comment": comment})


def test_resolution_mails_one_link_and_the_link_rates_once(api, broker, sink):
    base, _ = api
    cid = _answered(api, sink, sender="wei@example.com")
    _resolve(api, cid)
    _resolve(api, cid)  # resolving twice is one resolution: asked once
    assert deliver_pending() == 1
    [mail] = sink.parsed()
    assert mail["To"] == "wei@example.com" and f"[#{cid}]" in mail["Subject"]
    assert mail["Auto-Submitted"] == "auto-replied"  # no autoresponder answers it
    [token] = _requests_in(sink)

    page = httpx.get(f"{base}/csat/{token}")
    assert page.status_code == 200 and 'name="score"' in page.text and f"#{cid}" in page.text
    thanks = _rate(base, token, "4", "Quick and clear, thank you.")
    assert thanks.status_code == 200 and 'id="csat-outcome"' in thanks.text
    again = _rate(base, token, "1", "changed my mind")
    assert again.status_code == 200 and "rated already" in again.text  # the first rating stays
    assert "rated already" in httpx.get(f"{base}/csat/{token}").text

    detail = show(api, cid)
    [rating] = detail["csat"]
    assert (rating["score"], rating["comment"], rating["rated_by"], rating["channel"]) == \
        (4, "Quick and clear, thank you.", "link", "email")
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds.count("csat_requested") == 1 and kinds.count("csat_rated") == 1
    assert detail["state"] == "resolved"


def test_a_comment_with_a_phrase_and_a_password_is_stored_redacted(api, broker, sink):
    base, _ = api
    cid = _answered(api, sink, sender="lin@example.com")
    _resolve(api, cid)
    deliver_pending()
    [token] = _requests_in(sink)
    phrase = Mnemonic("english").generate(strength=128)
    password = "Tq7-" + uuid.uuid4().hex[:10]
    comment = f"Great help. My seed phrase is {phrase}. And my password is {password} by the way."
    assert _rate(base, token, "5", comment).status_code == 200
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
        from router.models import Message

        cid = session.get(Message, accepted.message_id).conversation_id
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                      json={"text": "Your account is unlocked again."}).status_code == 201
    deliver_pending()
    sink.messages.clear()
    _resolve(api, cid)
    deliver_pending()
    [token] = _requests_in(sink)
    assert _rate(base, token, "3").status_code == 200
    assert [(s.channel, s.score, s.rated_by) for s in _surveys()] == [("webform", 3, "link")]


def test_no_request_without_an_answer_or_with_csat_off(api, broker, sink, monkeypatch):
    unanswered, _ = write_in("Please close my account.", sender="quiet@example.com", subject="Close")
    deliver_pending()
    sink.messages.clear()
    _resolve(api, unanswered)  # nobody answered (spam, a duplicate): nobody is asked
    monkeypatch.setenv("MSGROUTER_CSAT", "off")
    reset_caches()
    answered = _answered(api, sink, sender="off@example.com")
    _resolve(api, answered)
    deliver_pending()
    assert _requests_in(sink) == [] and _surveys() == []


def test_a_conversation_resolved_again_is_asked_again(api, broker, sink):
    base, auth = api
    cid = _answered(api, sink, sender="again@example.com")
    _resolve(api, cid)
    deliver_pending()
    [first] = _requests_in(sink)
    assert _rate(base, first, "2", "still not there").status_code == 200
    # The customer answers our mail: the conversation reopens, is answered and resolved again.
    sink.messages.clear()
    with session_scope() as session:
        from router.models import Message

        ours = session.execute(select(Message.external_id).where(
            Message.conversation_id == cid, Message.direction == "out").order_by(Message.id.desc())).scalar()
    again, _ = write_in("It still has not arrived.", sender="again@example.com", subject="Re: Withdrawal",
                        in_reply_to=ours)
    assert again == cid
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                      json={"text": "Found it: it is credited now."}).status_code == 201
    _resolve(api, cid)
    deliver_pending()
    second = _requests_in(sink)[-1]
    assert second != first
    assert _rate(base, second, "5").status_code == 200
    assert [r["score"] for r in show(api, cid)["csat"]] == [2, 5]


def test_tampered_foreign_and_expired_links_are_refused_and_store_nothing(api, broker, sink, monkeypatch):
    base, _ = api
    cid = _answered(api, sink, sender="mallory@example.com")
    _resolve(api, cid)
    deliver_pending()
    [token] = _requests_in(sink)
    survey_id = _surveys()[0].id
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    foreign = URLSafeTimedSerializer("somebody-else's key", salt=SALT).dumps(survey_id)
    other_salt = URLSafeTimedSerializer("dev-only-insecure-secret-key", salt="itsdangerous").dumps(survey_id)
    for bad in (tampered, foreign, other_salt, "not-a-token", token.split(".")[0]):
        for response in (httpx.get(f"{base}/csat/{bad}"), _rate(base, bad, "1", "hacked")):
            assert response.status_code == 400, (bad, response.status_code)
            assert "not valid" in response.text
    # The link's life ends: 410, and it stores nothing either.
    monkeypatch.setenv("MSGROUTER_CSAT_LINK_DAYS", "0.00001")  # under a second
    reset_caches()
    time.sleep(1.5)
    for response in (httpx.get(f"{base}/csat/{token}"), _rate(base, token, "1", "late")):
        assert response.status_code == 410 and "expired" in response.text
    assert _surveys()[0].score is None
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Event).where(Event.kind == "csat_rated")).scalar() == 0


@pytest.mark.parametrize("score", ["", "0", "6", "four"])
def test_a_missing_or_wrong_score_is_asked_again_keeping_the_comment(api, broker, sink, score):
    base, _ = api
    cid = _answered(api, sink, sender=f"typo-{uuid.uuid4().hex[:6]}@example.com")
    _resolve(api, cid)
    deliver_pending()
    [token] = _requests_in(sink)
    answer = _rate(base, token, score, "kept comment")
    assert answer.status_code == 422 and 'id="csat-error"' in answer.text and "kept comment" in answer.text
    assert _surveys()[0].score is None
