"""Named agent tokens over real HTTP: an agent holds several, revoking one leaves the
others working, a token from before the migration keeps working after it."""
from __future__ import annotations

import hashlib

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from router.desk.tokens import TokenNameTaken, UnknownAgent, UnknownToken, issue_token, list_tokens, revoke_token
from router.storage.db import get_engine, session_scope
from router.storage.migrate import alembic_config


def _me(base: str, token: str) -> httpx.Response:
    return httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})


def _issue(agent: str, name: str | None = None) -> str:
    with session_scope() as session:
        return issue_token(session, agent, name, actor="test")


def test_a_second_token_leaves_the_first_working_until_it_is_revoked(api):
    base, _ = api
    first, laptop = _issue("alice"), _issue("alice", "laptop")
    assert _me(base, first).json()["name"] == "alice"
    assert _me(base, laptop).json()["name"] == "alice"
    with session_scope() as session:
        revoke_token(session, "alice", "laptop", actor="test")
    assert _me(base, laptop).status_code == 401
    assert _me(base, first).status_code == 200, "revoking one token leaves the others working"


def test_tokens_are_listed_by_name_oldest_first(db_url):
    _issue("bob"), _issue("bob", "laptop"), _issue("bob")
    _issue("carol", "phone")
    with session_scope() as session:
        listed = list_tokens(session, "bob")
    assert [t.name for t in listed] == ["token-1", "laptop", "token-2"]
    assert listed == sorted(listed, key=lambda t: t.created_at)


def test_a_token_name_is_one_per_agent(db_url):
    _issue("alice", "laptop")
    with pytest.raises(TokenNameTaken, match="--revoke laptop"), session_scope() as session:
        issue_token(session, "alice", "laptop", actor="test")
    _issue("bob", "laptop")  # another agent's laptop is another token


def test_unknown_agent_and_unknown_token_name_what_exists(db_url):
    with pytest.raises(UnknownAgent, match=r"'zed' \(known agents: alice, bob, carol, dan, erin, frank\)"), \
            session_scope() as session:
        issue_token(session, "zed", actor="test")
    _issue("alice", "laptop")
    with pytest.raises(UnknownToken, match=r"'phone' \(its tokens: laptop\)"), session_scope() as session:
        revoke_token(session, "alice", "phone", actor="test")


def test_the_token_an_agent_had_before_the_migration_keeps_working(api, db_url):
    base, _ = api
    command.downgrade(alembic_config(db_url), "0002")
    old_token = "mr_issued-before-named-tokens"
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE agent SET token_hash = :h WHERE name = 'dan'"),
                     {"h": hashlib.sha256(old_token.encode()).hexdigest()})
    command.upgrade(alembic_config(db_url), "head")
    assert _me(base, old_token).json()["name"] == "dan"
    with session_scope() as session:
        assert [t.name for t in list_tokens(session, "dan")] == ["default"]
