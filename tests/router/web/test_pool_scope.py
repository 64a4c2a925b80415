"""Pool scope over real HTTP: what an agent outside a pool can learn (nothing beyond a
missing conversation), what each role lists, and where each role may move work."""
from __future__ import annotations

import httpx
from sqlalchemy import delete, select

from desk_roles import ADMIN, MEMBER, OUTSIDER, SUPERVISOR, security_cases
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Membership, Pool

CARE = {"text": "We are on it."}


def test_a_conversation_outside_the_pools_looks_exactly_like_a_missing_one(api, broker):
    base, auth = api
    [cid] = security_cases(1)
    missing = cid + 1000
    carol = auth(OUTSIDER)
    for path, body in (("", None), ("/reply", CARE), ("/reply", {"text": ""}), ("/reply", None),
                       ("/resolve", None), ("/reassign", {"pool": "general"}), ("/labels", {"urgency": "low"})):
        method = "GET" if not path else "POST"
        hidden = httpx.request(method, f"{base}/api/conversations/{cid}{path}", headers=carol, json=body)
        absent = httpx.request(method, f"{base}/api/conversations/{missing}{path}", headers=carol, json=body)
        assert (hidden.status_code, absent.status_code) == (404, 404), (path, body, hidden.text)
        assert hidden.json()["detail"].replace(str(cid), "N") == absent.json()["detail"].replace(str(missing), "N")
    # alice, in the security pool, reads it.
    shown = httpx.get(f"{base}/api/conversations/{cid}", headers=auth(MEMBER))
    assert shown.status_code == 200 and shown.json()["pool"] == "security"


def test_each_role_lists_its_pools(api):
    base, auth = api
    listed = {who: [p["name"] for p in httpx.get(f"{base}/api/pools", headers=auth(who)).json()]
              for who in (OUTSIDER, MEMBER, SUPERVISOR, ADMIN)}
    everything = ["accounts", "complaints", "general", "security", "supervisors", "tech", "transactions", "triage"]
    assert listed == {OUTSIDER: ["accounts", "complaints", "general", "tech"],
                      MEMBER: ["security", "supervisors", "transactions"],
                      SUPERVISOR: everything, ADMIN: everything}
    refused = httpx.get(f"{base}/api/pools/security/queue", headers=auth(OUTSIDER))
    assert refused.status_code == 403 and "security" in refused.json()["detail"]
    assert httpx.get(f"{base}/api/pools/general/queue", headers=auth(OUTSIDER)).status_code == 200
    assert httpx.get(f"{base}/api/pools/nowhere/queue", headers=auth(OUTSIDER)).status_code == 404


def test_me_names_the_role(api):
    base, auth = api
    roles = {who: httpx.get(f"{base}/api/me", headers=auth(who)).json()["role"]
             for who in (OUTSIDER, MEMBER, SUPERVISOR, ADMIN)}
    assert roles == {OUTSIDER: "agent", MEMBER: "agent", SUPERVISOR: "supervisor", ADMIN: "admin"}


def test_the_pool_decides_not_the_assignment(api, broker):
    """dan leaves the security pool (the desk file changed) while still holding a case in
    it: it leaves his list and his reach, like any conversation outside his pools."""
    base, auth = api
    cid = security_cases(1)[0]
    move = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(SUPERVISOR), json={"agent": "dan"})
    assert move.status_code == 200
    dan = auth("dan")
    assert cid in [r["id"] for r in httpx.get(f"{base}/api/me/conversations", headers=dan).json()]
    with session_scope() as session:
        dan_id = session.execute(select(Agent.id).where(Agent.name == "dan")).scalar_one()
        security = session.execute(select(Pool.id).where(Pool.name == "security")).scalar_one()
        session.execute(delete(Membership).where(Membership.agent_id == dan_id, Membership.pool_id == security))
    assert cid not in [r["id"] for r in httpx.get(f"{base}/api/me/conversations", headers=dan).json()]
    assert httpx.get(f"{base}/api/conversations/{cid}", headers=dan).status_code == 404


def _placement(cid: int) -> tuple[str | None, int | None]:
    with session_scope() as session:
        c = session.get(Conversation, cid)
        return session.get(Pool, c.pool_id).name, c.assignee_id


def test_an_agent_moves_work_only_into_their_own_pools(api, broker):
    base, auth = api
    cid = security_cases(1)[0]
    alice = auth(MEMBER)
    before = _placement(cid)
    refused = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=alice, json={"pool": "general"})
    assert refused.status_code == 403 and "general" in refused.json()["detail"]
    refused = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=alice,
                         json={"pool": "general", "agent": "carol"})
    assert refused.status_code == 403
    not_member = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=alice, json={"agent": "carol"})
    assert not_member.status_code == 409 and "not a member" in not_member.json()["detail"]
    unknown = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=alice, json={"pool": "nowhere"})
    assert unknown.status_code == 409 and "unknown pool" in unknown.json()["detail"]
    assert _placement(cid) == before, "nothing refused moved it"

    mine = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=alice, json={"pool": "transactions"})
    assert mine.status_code == 200 and mine.json()["pool"] == "transactions", "alice is in transactions"
    anywhere = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(SUPERVISOR),
                          json={"pool": "general", "agent": "carol"})
    assert anywhere.status_code == 200 and anywhere.json() == {"id": cid, "pool": "general", "assignee": "carol"}
    assert httpx.get(f"{base}/api/conversations/{cid}", headers=alice).status_code == 404, "out of alice's pools now"
    admin = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(ADMIN), json={"pool": "security"})
    assert admin.status_code == 200, "an admin in no pool moves work like a supervisor"


def test_a_correction_routes_by_the_desk_even_out_of_the_agents_pools(api, broker):
    """Relabelling is how a misfiled case reaches the right pool, so the desk's routing
    decides where it goes, not the relabelling agent's membership; then it is out of reach."""
    base, auth = api
    cid = security_cases(1)[0]
    alice = auth(MEMBER)
    response = httpx.post(f"{base}/api/conversations/{cid}/labels", headers=alice, json={"category": "complaint"})
    assert response.status_code == 200 and response.json()["pool"] == "complaints"
    assert httpx.get(f"{base}/api/conversations/{cid}", headers=alice).status_code == 404
    assert httpx.get(f"{base}/api/conversations/{cid}", headers=auth(OUTSIDER)).status_code == 200, "carol's pool"
