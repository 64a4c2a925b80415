"""Signing in to the dashboard (issue 20): the form a stranger sees at `/`, `msgrouter
passwd` from standard input, the signed session cookie, CSRF on every form, sign-out, the
idle expiry and a new password ending old sessions; API tokens keep working beside it.
Over real HTTP against the running app, on both databases."""
from __future__ import annotations

import re
from datetime import timedelta

import httpx
import time_machine
from sqlalchemy import select

from cli_process import msgrouter
from dashboard import PASSWORD, csrf_of, give_password, signed_in
from desk_roles import MEMBER, security_cases
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event


def test_a_stranger_gets_the_sign_in_form_and_every_page_sends_them_to_it(api):
    base, _ = api
    start = httpx.get(base + "/")
    assert start.status_code == 200
    for field in ('name="name"', 'name="password"', 'type="password"', 'name="csrf"'):
        assert field in start.text
    assert "msgrouter_session" in start.headers["set-cookie"]
    assert "httponly" in start.headers["set-cookie"].lower()
    for path in ("/work", "/pools", "/pools/security", "/conversations/1"):
        response = httpx.get(base + path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/?next={path}"


def test_passwd_from_stdin_lets_the_agent_sign_in_and_nothing_stores_the_password(api, db_url, tmp_path):
    base, _ = api
    secret = "alice's long passphrase 42"
    result = msgrouter("passwd", MEMBER, cwd=tmp_path, input=f"{secret}\n{secret}\n",
                       MSGROUTER_DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    with session_scope() as session:
        stored = session.execute(select(Agent.password_hash).where(Agent.name == MEMBER)).scalar_one()
        events = [str(e.data) for e in session.execute(select(Event)).scalars()]
    assert stored.startswith("$argon2id$") and secret not in stored
    assert not any(secret in e for e in events)

    client = signed_in(base, MEMBER, secret, set_it=False)
    assert client.get("/work").status_code == 200
    stranger = httpx.Client(base_url=base)
    wrong = stranger.post("/login", data={"csrf": csrf_of(stranger), "name": MEMBER, "password": secret + "x"})
    assert wrong.status_code == 401 and 'name="password"' in wrong.text
    assert stranger.get("/work").status_code == 303


def test_passwd_refuses_two_different_passwords_and_a_short_one(db_url, tmp_path):
    differ = msgrouter("passwd", MEMBER, cwd=tmp_path, input="first password 1\nsecond password 2\n",
                       MSGROUTER_DATABASE_URL=db_url)
    short = msgrouter("passwd", MEMBER, cwd=tmp_path, input="short\nshort\n", MSGROUTER_DATABASE_URL=db_url)
    assert differ.returncode != 0 and "differ" in differ.stderr
    assert short.returncode != 0 and "at least" in short.stderr
    with session_scope() as session:
        assert session.execute(select(Agent.password_hash).where(Agent.name == MEMBER)).scalar_one() is None


def test_a_form_posted_without_the_sessions_csrf_token_is_refused_and_changes_nothing(api, broker):
    base, _ = api
    [cid] = security_cases(1)
    client = signed_in(base, MEMBER)
    other = signed_in(base, "dan")
    for data in ({}, {"csrf": "forged"}, {"csrf": csrf_of(other, "/work")}):
        response = client.post(f"/conversations/{cid}/resolve", data=data)
        assert response.status_code == 403, data
    stranger = httpx.Client(base_url=base)
    assert stranger.post("/login", data={"name": MEMBER, "password": PASSWORD}).status_code == 403
    with session_scope() as session:
        assert session.get(Conversation, cid).state != "resolved"
    # With its own token, the same form works.
    assert client.post(f"/conversations/{cid}/resolve", data={"csrf": csrf_of(client, "/work")}).status_code == 303
    with session_scope() as session:
        assert session.get(Conversation, cid).state == "resolved"


def test_sign_out_ends_the_session(api):
    base, _ = api
    client = signed_in(base, MEMBER)
    response = client.post("/logout", data={"csrf": csrf_of(client, "/work")})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.get("/work").status_code == 303


def test_a_session_ends_after_the_idle_time(api):
    base, _ = api
    client = signed_in(base, MEMBER)
    assert client.get("/work").status_code == 200
    with time_machine.travel(timedelta(hours=8, seconds=5)):  # MSGROUTER_SESSION_IDLE_SECONDS: 8 hours
        assert client.get("/work").status_code == 303
    # Each page seen renews it: a page every seven hours keeps it open for a day and more,
    # and eight idle hours after the last one end it.
    fresh = signed_in(base, "dan")
    for hours in (7, 14, 21):
        with time_machine.travel(timedelta(hours=hours)):
            assert fresh.get("/work").status_code == 200, f"{hours} hours after sign-in"
    with time_machine.travel(timedelta(hours=21 + 8, seconds=5)):
        assert fresh.get("/work").status_code == 303


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(api):
    base, _ = api
    client = signed_in(base, MEMBER)
    give_password(MEMBER, "a brand new passphrase")
    assert client.get("/work").status_code == 303


def test_api_tokens_keep_working_and_the_session_cookie_does_not_open_the_api(api):
    base, auth = api
    client = signed_in(base, MEMBER)
    assert client.get("/api/me").status_code == 401  # the API wants a token, never the cookie
    me = httpx.get(base + "/api/me", headers=auth(MEMBER))
    assert me.status_code == 200 and me.json()["name"] == MEMBER


def test_sign_in_goes_back_only_to_a_page_of_this_desk(api):
    base, _ = api
    give_password(MEMBER)
    for target, landing in (("/pools", "/pools"), ("//evil.example/x", "/work"), ("https://evil.example", "/work")):
        client = httpx.Client(base_url=base)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        response = client.post("/login", data={"csrf": token, "name": MEMBER, "password": PASSWORD, "next": target})
        assert response.headers["location"] == landing
