"""The agent API over real HTTP: authentication, queues, reply, resolve, reassign."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from channels.base import Inbound
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Message


def _ingest(text: str, sender: str = "c@example.com", subject: str = "Help") -> int:
    accept(Inbound(channel="email", external_id=f"<{abs(hash((text, sender)))}@x>", sender=sender,
                   subject=subject, text=text))
    drain_inbound()
    with session_scope() as session:
        return session.execute(select(Conversation.id).order_by(Conversation.id.desc())).scalars().first()


@pytest.mark.parametrize("route", ["/api/me", "/api/me/conversations", "/api/pools",
                                   "/api/pools/general/queue", "/api/conversations/1"])
def test_agent_routes_refuse_without_a_valid_token(api, route):
    base, _ = api
    assert httpx.get(base + route).status_code == 401
    assert httpx.get(base + route, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_every_api_route_requires_auth(api):
    from router.web.app import create_app
    from support import app_routes

    base, _ = api
    checked = 0
    for route in app_routes(create_app()):
        path = route.path
        if not path.startswith("/api/"):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            url = base + path.replace("{conversation_id}", "1").replace("{name}", "general") \
                .replace("{token_name}", "token-1")
            assert httpx.request(method, url, json={}).status_code == 401, f"{method} {path}"
            checked += 1
    assert checked >= 10, "the app's API routes were found (an empty walk proves nothing)"


def test_queue_is_ordered_by_deadline(api, broker):
    base, auth = api
    normal = _ingest("What are the fees for sending BTC?", sender="a@example.com")
    critical = _ingest("My wallet was emptied, all my ETH is gone and I made no transfer!",
                       sender="b@example.com")
    headers = auth("erin")  # a supervisor: both pools
    queue = httpx.get(f"{base}/api/pools/security/queue", headers=headers).json()
    assert [r["id"] for r in queue][:1] == [critical]
    general = httpx.get(f"{base}/api/pools/general/queue", headers=headers).json()
    assert normal in [r["id"] for r in general]
    assert queue[0]["seconds_left"] < general[0]["seconds_left"], "critical is due sooner"
    mine = httpx.get(f"{base}/api/me/conversations", headers=auth(queue[0]["assignee"])).json()
    dues = [r["due_at"] for r in mine]
    assert dues == sorted(dues)


def test_reply_that_asks_for_a_secret_is_refused(api, broker):
    base, auth = api
    cid = _ingest("I cannot log in to my account")
    response = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth("carol"),  # accounts
                          json={"text": "To verify you, please send us your 12-word recovery phrase."})
    assert response.status_code == 422
    assert "never" in response.json()["detail"]
    with session_scope() as session:
        assert session.execute(select(Message).where(Message.direction == "out",
                                                     Message.author_id.is_not(None))).first() is None


def test_bad_input_gets_clear_errors(api, broker):
    base, auth = api
    headers = auth()
    cid = _ingest("My wallet was emptied, all my ETH is gone and I made no transfer!")  # alice's pool
    assert httpx.get(f"{base}/api/conversations/999999", headers=headers).status_code == 404
    assert httpx.get(f"{base}/api/pools/nope/queue", headers=headers).status_code == 404
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=headers, json={"text": ""}).status_code == 422
    bad_json = httpx.post(f"{base}/api/conversations/{cid}/reply",
                          headers={**headers, "Content-Type": "application/json"}, content=b"{not json")
    assert bad_json.status_code == 422
    assert httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=headers, json={}).status_code == 422


def test_resolve_frees_capacity_for_the_queue(api, broker):
    base, auth = api
    with session_scope() as session:
        for agent in session.execute(select(Agent)).scalars():
            agent.capacity = 1 if agent.name == "carol" else 0
    first = _ingest("The app crashes when I open it", sender="x@example.com")
    second = _ingest("The app freezes on the loading screen", sender="y@example.com")
    with session_scope() as session:
        assert session.get(Conversation, first).assignee_id is not None
        assert session.get(Conversation, second).assignee_id is None
    assert httpx.post(f"{base}/api/conversations/{first}/resolve", headers=auth("carol")).json()["state"] == "resolved"
    with session_scope() as session:
        carol = session.execute(select(Agent).where(Agent.name == "carol")).scalars().one()
        assert session.get(Conversation, second).assignee_id == carol.id
        assert carol.open_count == 1


def test_reassign_to_an_agent_and_a_pool(api, broker):
    base, auth = api
    cid = _ingest("The app crashes when I open it")
    supervisor = auth("erin")  # tech is not alice's pool; a supervisor moves work anywhere
    moved = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=supervisor, json={"pool": "security"})
    assert moved.status_code == 200 and moved.json()["pool"] == "security"
    to_dan = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(), json={"agent": "dan"})
    assert to_dan.json()["assignee"] == "dan"
    refused = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(), json={"agent": "bob"})
    assert refused.status_code == 409 and "not a member" in refused.json()["detail"]
    events = httpx.get(f"{base}/api/conversations/{cid}", headers=auth()).json()["events"]
    assert [e["kind"] for e in events].count("assigned") >= 2


def test_agent_correction_relabels_reroutes_and_becomes_training_data(api, broker):
    from router.desk.corrections import training_records

    base, auth = api
    cid = _ingest("Which countries do you support? Just curious.", sender="curious@example.com")
    before = httpx.get(f"{base}/api/conversations/{cid}", headers=auth("dan")).json()
    assert before["pool"] != "security"

    response = httpx.post(f"{base}/api/conversations/{cid}/labels", headers=auth("dan"),
                          json={"category": "security", "urgency": "critical"})
    assert response.status_code == 200, response.text
    after = response.json()
    assert (after["category"], after["urgency"], after["pool"]) == ("security", "critical", "security")
    assert after["assignee"] in ("alice", "dan"), "assigned within the new pool"
    assert after["due_at"] < before["deadlines"]["due_at"], "critical is due sooner than the old deadline"

    detail = httpx.get(f"{base}/api/conversations/{cid}", headers=auth("dan")).json()
    corrected = [e for e in detail["events"] if e["kind"] == "corrected"]
    assert corrected and corrected[0]["actor"] == "dan"
    assert corrected[0]["data"]["category"] == [before["category"], "security"]
    with session_scope() as session:
        records = list(training_records(session))
    assert [(r["category"], r["urgency"]) for r in records] == [("security", "critical")]
    assert "Which countries" in records[0]["text"]


def test_correction_with_unknown_labels_is_refused(api, broker):
    base, auth = api
    cid = _ingest("How do I change the app language?", sender="lang@example.com")
    for body in ({"category": "nonsense"}, {"urgency": "whenever"}, {}):
        response = httpx.post(f"{base}/api/conversations/{cid}/labels", headers=auth("erin"), json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"]
    assert httpx.post(f"{base}/api/conversations/999999/labels", headers=auth(),
                      json={"urgency": "low"}).status_code == 404


def test_a_conversation_lists_its_attachments_by_name_and_size(api, broker, monkeypatch):
    """It answered 500 for any conversation with an attachment (found by the schemathesis
    test): the route read a column its query had not selected."""
    from email.message import EmailMessage

    from conftest import reset_caches
    from pipeline_support import ingest

    monkeypatch.setenv("MSGROUTER_MAX_ATTACHMENT_BYTES", "1000")  # the big one is listed, not kept
    reset_caches()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "wei@example.com", "support@pinecone.example", "Receipt"
    mail["Message-ID"] = "<receipt-1@example.com>"
    mail.set_content("My withdrawal has not arrived; the receipt is attached.")
    mail.add_attachment(b"txid 0xabc\n", maintype="text", subtype="plain", filename="receipt.txt")
    mail.add_attachment(b"%PDF-1.4 " + b"x" * 2000, maintype="application", subtype="pdf", filename="statement.pdf")
    cid = ingest(mail).conversation_id
    base, auth = api
    response = httpx.get(f"{base}/api/conversations/{cid}", headers=auth())
    assert response.status_code == 200, response.text
    listed = response.json()["messages"][0]["attachments"]
    assert [(a["filename"], a["content_type"], a["stored"]) for a in listed] == [
        ("receipt.txt", "text/plain", True), ("statement.pdf", "application/pdf", False)]
    assert listed[0]["size"] == len(b"txid 0xabc\n") and listed[1]["size"] > 2000


def test_relabelling_while_waiting_on_the_customer_keeps_the_clocks_stopped(api, broker):
    """It answered 500 (found by the schemathesis test): the new deadlines were walked
    through a pause that has no end yet. They are worked out when the customer writes."""
    base, auth = api
    cid = _ingest("How do I change the app language?", sender="waiting@example.com")
    asked = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                       json={"text": "Which phone do you use?", "wait_for_customer": True})
    assert asked.status_code == 201 and asked.json()["state"] == "waiting_customer", asked.text
    relabelled = httpx.post(f"{base}/api/conversations/{cid}/labels", headers=auth(), json={"urgency": "high"})
    assert relabelled.status_code == 200, relabelled.text
    assert relabelled.json()["urgency"] == "high" and relabelled.json()["due_at"] is None, "the clocks stay stopped"
    _ingest("An iPhone 15.", sender="waiting@example.com", subject="Re: Help")
    shown = httpx.get(f"{base}/api/conversations/{cid}", headers=auth()).json()
    assert shown["state"] == "open" and shown["deadlines"]["due_at"] is not None, "they run again"
