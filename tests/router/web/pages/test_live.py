"""Live updates, presence and the Supervisors page (issue 20), over real HTTP against the
running app on both databases: the Server-Sent Events stream (GET /live) read as a
browser's EventSource reads it, presence set by API and by the header's form, and the
SLA code run for real with a chosen clock to make warnings and breaches."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from customer_mail import write_in
from dashboard import csrf_of, give_password, signed_in
from desk_roles import security_cases
from router.clock import utcnow
from router.queue import tick
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event
from router.web.live_feed import latest_event_id
from router.web.pages import live
from sse_client import listen

WITHDRAWAL = "My withdrawal of 500 USDT has not arrived since yesterday."  # transactions, English: alice


def _status(name: str) -> str:
    with session_scope() as session:
        return session.execute(select(Agent.status).where(Agent.name == name)).scalar_one()


def _latest() -> int:
    with session_scope() as session:
        return latest_event_id(session)


def _withdrawal() -> int:
    cid, _ = write_in(WITHDRAWAL, sender=f"wei-{uuid.uuid4().hex[:8]}@example.com", subject="Withdrawal missing")
    return cid


@pytest.fixture
def quick_heartbeat(monkeypatch):
    """A keep-alive comment every half second, so a test can see a quiet stream stay quiet."""
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.5)


def test_presence_by_api_refuses_what_is_not_a_presence_and_fills_on_coming_online(api):
    base, auth = api
    alice = auth("alice")
    away = httpx.put(f"{base}/api/me/presence", headers=alice, json={"status": "away"})
    assert away.status_code == 200, away.text
    assert away.json() == {"status": "away", "before": "online", "assigned": 0}
    assert httpx.get(f"{base}/api/me", headers=alice).json()["status"] == "away"
    again = httpx.put(f"{base}/api/me/presence", headers=alice, json={"status": "away"})
    assert again.json() == {"status": "away", "before": "away", "assigned": 0}

    for body in ({"status": "busy"}, {}, {"status": None}):
        refused = httpx.put(f"{base}/api/me/presence", headers=alice, json=body)
        assert refused.status_code == 422, (body, refused.text)
    assert httpx.put(f"{base}/api/me/presence", json={"status": "online"}).status_code == 401
    assert _status("alice") == "away"

    waiting = _withdrawal()  # bob speaks no English: it waits for alice
    with session_scope() as session:
        assert session.get(Conversation, waiting).assignee_id is None
    back = httpx.put(f"{base}/api/me/presence", headers=alice, json={"status": "online"})
    assert back.json() == {"status": "online", "before": "away", "assigned": 1}
    with session_scope() as session:
        assert session.get(Conversation, waiting).assignee_id is not None
        kinds = [e.data["status"] for e in session.execute(select(Event).where(Event.kind == "presence")
                                                            .order_by(Event.id)).scalars()]
    assert kinds == ["away", "online"]


def test_every_page_header_sets_presence_with_its_csrf_token(api):
    base, _ = api
    alice = signed_in(base, "alice")
    work = alice.get("/work")
    assert 'id="presence"' in work.text and '<option value="online" selected>' in work.text
    assert 'id="nav-supervisors"' not in work.text
    token = csrf_of(alice, "/work")

    assert alice.post("/presence", data={"presence": "away", "back": "/pools"}).status_code == 403
    assert _status("alice") == "online", "a form without its CSRF token changed the presence"
    assert alice.post("/presence", data={"csrf": token, "presence": "busy"}).status_code == 422
    moved = alice.post("/presence", data={"csrf": token, "presence": "away", "back": "/pools"})
    assert (moved.status_code, moved.headers["location"]) == (303, "/pools")
    assert _status("alice") == "away"
    assert '<option value="away" selected>' in alice.get("/pools").text
    elsewhere = alice.post("/presence", data={"csrf": token, "presence": "online", "back": "//evil.example/"})
    assert elsewhere.headers["location"] == "/work"
    assert httpx.post(base + "/presence", data={"presence": "away"}).status_code == 403


def test_the_supervisors_page_shows_load_and_presence_to_supervisors_only(api):
    base, auth = api
    _withdrawal()
    httpx.put(f"{base}/api/me/presence", headers=auth("carol"), json={"status": "away"})
    erin = signed_in(base, "erin")
    page = erin.get("/supervisors")
    assert page.status_code == 200
    assert 'id="nav-supervisors"' in page.text
    alice_row = page.text.split('data-agent="alice"', 1)[1].split("</tr>", 1)[0]
    assert "1 / 20" in alice_row and "presence-online" in alice_row and "security" in alice_row
    carol_row = page.text.split('data-agent="carol"', 1)[1].split("</tr>", 1)[0]
    assert "presence-away" in carol_row
    refused = signed_in(base, "alice").get("/supervisors")
    assert refused.status_code == 403 and 'id="refused"' in refused.text


def test_the_stream_sends_an_assignment_to_its_agent_only_and_resumes_after_last_event_id(api, quick_heartbeat):
    base, auth = api
    alice, carol = signed_in(base, "alice"), signed_in(base, "carol")
    before = _latest()
    cid = _withdrawal()

    got = listen(alice, lambda r: bool(r.named("assigned")), params={"after": before})
    assert (got.status, got.content_type.split(";")[0]) == (200, "text/event-stream")
    assigned = got.named("assigned")[0]
    assert assigned["data"] == {"conversation": cid, "pool": "transactions", "agent": "alice"}

    # carol (not in transactions) reads past it to her own presence change, written later.
    httpx.put(f"{base}/api/me/presence", headers=auth("carol"), json={"status": "away"})
    theirs = listen(carol, lambda r: bool(r.named("presence")), params={"after": before})
    assert theirs.named("presence")[0]["data"] == {"agent": "carol", "status": "away"}
    assert theirs.named("assigned") == []

    # Resumed where the browser left off: the event after the id, not the one at it.
    again = listen(alice, lambda r: bool(r.named("assigned")), last_event_id=str(int(assigned["id"]) - 1))
    assert again.named("assigned")[0] == assigned
    quiet = listen(alice, lambda r: len(r.comments) >= 3, last_event_id=assigned["id"])
    assert quiet.events == [] and "keep-alive" in quiet.comments


def test_a_customer_reply_reaches_the_agent_on_the_conversation(api):
    base, _ = api
    alice = signed_in(base, "alice")
    sender = f"wei-{uuid.uuid4().hex[:8]}@example.com"
    cid, _ = write_in(WITHDRAWAL, sender=sender, subject="Withdrawal missing")
    before = _latest()
    write_in("Any news? It is still missing.", sender=sender, subject=f"Re: Withdrawal missing [#{cid}]")
    got = listen(alice, lambda r: bool(r.named("customer_reply")), params={"after": before})
    assert got.named("customer_reply")[0]["data"] == {"conversation": cid, "pool": "transactions"}


def test_a_supervisor_sees_the_breach_and_the_pools_agent_the_warning_only(api):
    base, auth = api
    erin, alice = signed_in(base, "erin"), signed_in(base, "alice")
    cid = security_cases(1)[0]  # critical, security: alice or dan
    before = _latest()
    done: dict[str, int] = {}
    tick.sla_alarms(None, utcnow() + timedelta(days=3), done)  # the real SLA code, three days on
    assert done.get("sla_breachs", 0) >= 1, done  # first reply and resolution, both overdue

    supervised = listen(erin, lambda r: bool(r.named("breach")), params={"after": before})
    breaches = {(e["data"]["conversation"], e["data"]["deadline"]) for e in supervised.named("breach")}
    assert (cid, "first_reply") in breaches
    assert supervised.named("warning")[0]["data"]["conversation"] == cid

    httpx.put(f"{base}/api/me/presence", headers=auth("alice"), json={"status": "away"})  # a later event
    agent = listen(alice, lambda r: bool(r.named("presence")), params={"after": before})
    assert {e["data"]["conversation"] for e in agent.named("warning")} == {cid}
    assert agent.named("breach") == []

    page = erin.get("/supervisors").text
    assert f'class="alarm alarm-breach" data-conversation="{cid}"' in page


def test_the_stream_ends_when_the_password_changes(api, quick_heartbeat, monkeypatch):
    base, _ = api
    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.5)
    alice = signed_in(base, "alice")
    threading.Timer(1.0, give_password, args=("alice", "a brand new passphrase 7")).start()
    got = listen(alice, lambda r: bool(r.named("signed_out")))
    assert got.named("signed_out")
    assert alice.get("/live").status_code == 303  # the old session signs in no more


@pytest.fixture
def short_sessions(db_url, monkeypatch):
    from config.settings import get_settings

    monkeypatch.setenv("MSGROUTER_SESSION_IDLE_SECONDS", "60")
    get_settings.cache_clear()


def test_the_stream_ends_when_the_session_expires(short_sessions, api):
    base, _ = api
    with time_machine.travel(utcnow() - timedelta(seconds=58), tick=True):
        alice = signed_in(base, "alice")  # the cookie is signed 58 s ago: 2 s left
    got = listen(alice, lambda r: bool(r.named("signed_out")), timeout=10)
    assert got.named("signed_out")


def test_streams_end_when_the_server_begins_to_stop(db_url):
    """`msgrouter web` and `run` stop the streams first (router/commands/servers.py), or uvicorn
    would wait on every open page; the browser is not told it was signed out."""
    from router.web.app import create_app
    from support import serve_app

    app = create_app()
    with serve_app(app) as base:
        alice = signed_in(base, "alice")
        threading.Timer(1.0, live.stop_streams, args=(app,)).start()
        got = listen(alice, lambda r: False, timeout=10)  # returns when the stream ends
        assert got.status == 200 and got.named("signed_out") == []


def test_a_stale_last_event_id_goes_back_no_further_than_the_replay_bound(api, quick_heartbeat, monkeypatch):
    base, _ = api
    alice = signed_in(base, "alice")
    _withdrawal()
    assert listen(alice, lambda r: bool(r.named("assigned")), last_event_id="0").named("assigned")
    monkeypatch.setattr(live, "REPLAY_MAX", 0)
    bounded = listen(alice, lambda r: len(r.comments) >= 3, last_event_id="0")
    assert bounded.events == []
