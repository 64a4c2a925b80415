"""The admin API over real HTTP: the agents with their roles and pools, and an agent's
tokens issued (shown once), listed by name and revoked, with clear refusals."""
from __future__ import annotations

import httpx

from desk_roles import ADMIN, SUPERVISOR


def test_an_admin_lists_the_agents_with_roles_and_pools(api):
    base, auth = api
    agents = {a["name"]: a for a in httpx.get(f"{base}/api/agents", headers=auth(ADMIN)).json()}
    assert sorted(agents) == ["alice", "bob", "carol", "dan", "erin", "frank"]
    assert {name: a["role"] for name, a in agents.items()} == {
        "alice": "agent", "bob": "agent", "carol": "agent", "dan": "agent", "erin": "supervisor", "frank": "admin"}
    assert agents["carol"]["pools"] == ["accounts", "complaints", "general", "tech"]
    assert agents["frank"]["pools"] == []
    assert httpx.get(f"{base}/api/agents", headers=auth(SUPERVISOR)).status_code == 403


def test_an_admin_issues_lists_and_revokes_an_agents_token(api):
    base, auth = api
    admin = auth(ADMIN)
    issued = httpx.post(f"{base}/api/agents/bob/tokens", headers=admin, json={"name": "laptop"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert issued.json()["agent"] == "bob" and issued.json()["name"] == "laptop"
    bob = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/api/me", headers=bob).json()["name"] == "bob"

    auto = httpx.post(f"{base}/api/agents/bob/tokens", headers=admin, json={})
    assert auto.status_code == 201 and auto.json()["name"] == "token-1"
    listed = httpx.get(f"{base}/api/agents/bob/tokens", headers=admin)
    assert [t["name"] for t in listed.json()] == ["laptop", "token-1"]
    assert token not in listed.text, "a token is shown once, when issued"

    revoked = httpx.delete(f"{base}/api/agents/bob/tokens/laptop", headers=admin)
    assert revoked.status_code == 204
    assert httpx.get(f"{base}/api/me", headers=bob).status_code == 401
    other = {"Authorization": f"Bearer {auto.json()['token']}"}
    assert httpx.get(f"{base}/api/me", headers=other).status_code == 200, "the other token keeps working"


def test_admin_token_requests_that_cannot_be_done_say_why(api):
    base, auth = api
    admin = auth(ADMIN)
    assert httpx.post(f"{base}/api/agents/bob/tokens", headers=admin, json={"name": "phone"}).status_code == 201
    taken = httpx.post(f"{base}/api/agents/bob/tokens", headers=admin, json={"name": "phone"})
    assert taken.status_code == 409 and "already has a token named 'phone'" in taken.json()["detail"]
    bad = httpx.post(f"{base}/api/agents/bob/tokens", headers=admin, json={"name": "my phone"})
    assert bad.status_code == 422 and "token name" in bad.json()["detail"]
    nobody = httpx.post(f"{base}/api/agents/zed/tokens", headers=admin, json={})
    assert nobody.status_code == 404 and "known agents" in nobody.json()["detail"]
    assert httpx.get(f"{base}/api/agents/zed/tokens", headers=admin).status_code == 404
    gone = httpx.delete(f"{base}/api/agents/bob/tokens/tablet", headers=admin)
    assert gone.status_code == 404 and "its tokens: phone" in gone.json()["detail"]
